import { screen } from "@testing-library/react";
import { json, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { NotificationsPage } from "./NotificationsPage";

afterEach(() => vi.unstubAllGlobals());

test("a mention links to its call and says the moment", async () => {
  standIn({
    "GET /v1/notifications": () =>
      json({ next_cursor: null, items: [
        { id: "n1", kind: "mentioned", call_id: "c1", data: { at_seconds: 42, comment_id: "x", author_id: "m" }, created_at: "2026-12-07T00:00:00Z", read_at: null },
        { id: "n2", kind: "call_scored", call_id: "c2", data: { overall_score: 71.4 }, created_at: "2026-12-07T00:00:00Z", read_at: null },
      ] }),
  });
  renderAt("/n", [{ path: "/n", element: <NotificationsPage /> }]);
  expect(await screen.findByRole("link", { name: "You were mentioned in a comment at 0:42" })).toHaveAttribute("href", "/calls/c1");
  expect(screen.getByRole("link", { name: "Your call was scored: 71 / 100" })).toHaveAttribute("href", "/calls/c2");
});
