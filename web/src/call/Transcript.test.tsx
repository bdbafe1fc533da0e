import { fireEvent, render, screen } from "@testing-library/react";
import type { Utterance } from "../api/call";
import { Transcript } from "./Transcript";

const long: Utterance[] = Array.from({ length: 1000 }, (_, u) => ({
  speaker: u % 2,
  role: u % 2 ? "customer" : "rep",
  start: u * 3.6,
  end: u * 3.6 + 3.5,
  text: "",
  words: Array.from({ length: 9 }, (_, w) => ({ word: `u${u}w${w}`, start: u * 3.6 + w * 0.38, end: u * 3.6 + w * 0.38 + 0.3 })),
}));

// jsdom lays nothing out; give the scroller the height it has in a browser (30rem).
const sizes = ["offsetHeight", "offsetWidth", "clientHeight", "clientWidth"] as const;
beforeAll(() => {
  for (const key of sizes)
    Object.defineProperty(HTMLElement.prototype, key, { configurable: true, get: () => 480 });
});
afterAll(() => {
  for (const key of sizes) delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key];
});

test("a 60-minute transcript renders only the rows in view, and a word click seeks", () => {
  const seek = vi.fn();
  const { container } = render(
    <Transcript utterances={long} names={new Map([[0, "Rita"], [1, "Carl"]])} active={{ utterance: 0, word: 1, start: 0.38, end: 0.68 }} current={0} follow={false} seek={seek} />,
  );
  const rows = container.querySelectorAll(".utterance");
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.length).toBeLessThan(50);
  expect(screen.getByText("u0w1")).toHaveClass("active");
  fireEvent.click(screen.getByText("u0w3"));
  expect(seek).toHaveBeenCalledWith(3 * 0.38);
});

test("the full render (the benchmark's baseline) has every row", () => {
  const { container } = render(
    <Transcript utterances={long.slice(0, 60)} names={new Map()} active={null} current={-1} follow={false} seek={() => {}} full />,
  );
  expect(container.querySelectorAll(".utterance")).toHaveLength(60);
});
