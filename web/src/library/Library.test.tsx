import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderAt } from "../test/render";
import { json, standIn } from "../test/server";
import { clipLink, clipOf } from "./clip";
import { moved, PlaylistPage } from "./PlaylistPage";

test("a clip comes from the address only when it is a real range", () => {
  expect(clipOf(new URLSearchParams("start=12.5&end=40"))).toEqual({ start: 12.5, end: 40 });
  for (const bad of ["start=40&end=12", "start=-1&end=3", "start=a&end=3", "start=3", ""])
    expect(clipOf(new URLSearchParams(bad))).toBeNull();
  expect(clipLink("c 1", { start: 1.5, end: 9 })).toBe("/calls/c%201?start=1.5&end=9");
  expect(clipLink("c1", { start: null, end: null })).toBe("/calls/c1");
});

test("moving an item swaps it with its neighbour and never past an end", () => {
  expect(moved(["a", "b", "c"], "b", -1)).toEqual(["b", "a", "c"]);
  expect(moved(["a", "b", "c"], "b", 1)).toEqual(["a", "c", "b"]);
  expect(moved(["a", "b", "c"], "a", -1)).toEqual(["a", "b", "c"]);
});

const PLAYLIST = {
  id: "p1",
  title: "Best discovery calls",
  created_by: "u1",
  item_count: 2,
  can_edit: true,
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
};
const item = (id: string, title: string | null, clip: [number, number] | null) => ({
  id,
  call_id: `call-${id}`,
  start: clip?.[0] ?? null,
  end: clip?.[1] ?? null,
  position: 0,
  added_by: "u1",
  added_at: "2026-12-01T00:00:00Z",
  call: title === null ? null : { title, duration: 120, status: "scored", uploader_id: "u1" },
});

test("a playlist lists its clips as links to the moment and reorders by naming every item", async () => {
  const seen = standIn({
    "GET /v1/playlists/p1": () => json(PLAYLIST),
    "GET /v1/playlists/p1/items": () => json({ items: [item("i1", "Acme discovery", [42, 72]), item("i2", null, null)], next_cursor: null }),
    "PUT /v1/playlists/p1/order": () => json({ items: [], next_cursor: null }),
  });
  renderAt("/library/p1", [{ path: "/library/:id", element: <PlaylistPage /> }]);
  const link = await screen.findByRole("link", { name: "Acme discovery (0:42–1:12)" });
  expect(link.getAttribute("href")).toBe("/calls/call-i1?start=42&end=72");
  expect(screen.getByText("A call you may not open")).toBeTruthy();
  await userEvent.click(screen.getByRole("button", { name: "Move item 2 up" }));
  await waitFor(() => expect(seen.some((r) => r.method === "PUT")).toBe(true));
  const put = seen.find((r) => r.method === "PUT")!;
  expect(await put.json()).toEqual({ item_ids: ["i2", "i1"] });
});
