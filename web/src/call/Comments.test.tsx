import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { Comments } from "./Comments";
import { ReviewPanel } from "./ReviewPanel";

afterEach(() => vi.unstubAllGlobals());

const thread = {
  id: "t1",
  call_id: "c1",
  parent_id: null,
  author_id: "m1",
  author_name: "Mia Manager",
  at_seconds: 42,
  body: { segments: [{ type: "text", text: "Nice question " }, { type: "mention", user_id: "r1", name: "Ray Rep" }] },
  mentions: ["r1"],
  created_at: "2026-12-07T00:00:00Z",
  edited_at: null,
  deleted: false,
  replies: [],
};
const people = [{ id: "r1", name: "Ray Rep", role: "rep" }];

test("a comment at the player's moment carries the picked mention; a thread seeks the player", async () => {
  const seek = vi.fn();
  const seen = standIn({
    "GET /v1/calls/c1/comments": () => json({ items: [thread], next_cursor: null }),
    "GET /v1/calls/c1/mentionable": () => json({ items: people, next_cursor: null }),
    "POST /v1/calls/c1/comments": () => json(thread, 201),
  });
  renderAt("/", [{ path: "/", element: <Comments id="c1" time={42.4} seek={seek} /> }]);
  await userEvent.click(await screen.findByRole("button", { name: /Play from\s*0:42 Mia Manager: Nice question @Ray Rep/ }));
  expect(seek).toHaveBeenCalledWith(42);

  await userEvent.click(screen.getByRole("button", { name: "Comment at 0:42" }));
  await userEvent.type(screen.getByLabelText("Comment at 0:42"), "Listen here");
  await userEvent.selectOptions(screen.getByLabelText("Mention a member"), "r1");
  await userEvent.click(screen.getByRole("button", { name: "Post" }));
  await waitFor(() => expect(seen.some((r) => r.method === "POST")).toBe(true));
  const body = await seen.find((r) => r.method === "POST")!.json();
  expect(body).toEqual({
    at_seconds: 42.4,
    body: { segments: [{ type: "text", text: "Listen here" }, { type: "text", text: " " }, { type: "mention", user_id: "r1" }] },
  });
});

test("a reply goes to its thread", async () => {
  const seen = standIn({
    "GET /v1/calls/c1/comments": () => json({ items: [thread], next_cursor: null }),
    "GET /v1/calls/c1/mentionable": () => json({ items: people, next_cursor: null }),
    "POST /v1/calls/c1/comments": () => json({ ...thread, id: "r", parent_id: "t1" }, 201),
  });
  renderAt("/", [{ path: "/", element: <Comments id="c1" time={0} seek={() => {}} /> }]);
  await userEvent.click(await screen.findByRole("button", { name: "Reply" }));
  await userEvent.type(screen.getByLabelText("Reply"), "Thanks");
  await userEvent.click(screen.getByRole("button", { name: "Post" }));
  await waitFor(() => expect(seen.some((r) => r.method === "POST")).toBe(true));
  expect(await seen.find((r) => r.method === "POST")!.json()).toEqual({
    parent_id: "t1",
    body: { segments: [{ type: "text", text: "Thanks" }] },
  });
});

test("the review panel overrides an item with its reason and shows the refusal", async () => {
  const seen = standIn({
    "PUT /v1/calls/c1/review/items/champion": () => json({ error: { code: "own_call", message: "nobody can override the score of their own call" } }, 403),
  });
  const scorecard = {
    name: "MEDDIC",
    methodology: "meddic",
    overall: 57,
    items: [
      { key: "metrics", question: "Metrics?", score: 0, points: 0, max_points: 1, status: "no_evidence", evidence: [] },
      { key: "champion", question: "Champion?", score: 0, points: 0, max_points: 1, status: "no_evidence", evidence: [] },
    ],
  };
  renderAt("/", [{ path: "/", element: <ReviewPanel id="c1" scorecard={scorecard} /> }]);
  await userEvent.selectOptions(screen.getByLabelText("Item"), "champion");
  await userEvent.selectOptions(screen.getByLabelText("Score"), "0.5");
  await userEvent.type(screen.getByLabelText("Reason"), "Named a champion at 3:10");
  await userEvent.click(screen.getByRole("button", { name: "Override" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("own call");
  expect(await seen.find((r) => r.method === "PUT")!.json()).toEqual({ score: 0.5, reason: "Named a champion at 3:10" });
});
