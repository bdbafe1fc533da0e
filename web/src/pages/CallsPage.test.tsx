import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, ME, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { CallsPage } from "./CallsPage";

afterEach(() => vi.unstubAllGlobals());

const routes = [{ path: "/calls", element: <CallsPage /> }];
const me = { "GET /v1/me": () => json({ ...ME, role: "rep" }), "GET /v1/auth/csrf": () => json({ csrf_token: "t" }) };

test("no calls at all invites the first upload", async () => {
  standIn({ ...me, "GET /v1/calls": () => json({ items: [], next_cursor: null }) });
  renderAt("/calls", routes);
  expect(await screen.findByRole("link", { name: "Upload your first call" })).toHaveAttribute("href", "/upload");
});

test("search and filters go to the API; Show more follows the cursor", async () => {
  const seen = standIn({
    ...me,
    "GET /v1/calls": (req) => {
      const cursor = new URL(req.url).searchParams.get("cursor");
      const item = (n: number) => ({ id: `c${n}`, status: "scored", title: `Call ${n}`, duration: 60, participants: [], overall_score: 71.4 });
      return json(cursor ? { items: [item(2)], next_cursor: null } : { items: [item(1)], next_cursor: "CUR" });
    },
  });
  renderAt("/calls?status=scored", routes);
  expect(await screen.findByRole("link", { name: "Call 1" })).toBeInTheDocument();
  expect(screen.getByRole("row", { name: /Call 1/ })).toHaveTextContent("71");
  await userEvent.type(screen.getByLabelText("Search"), "acme");
  await userEvent.click(screen.getByRole("button", { name: "Search" }));
  await userEvent.selectOptions(screen.getByLabelText("Sort"), "longest");
  await userEvent.click(await screen.findByRole("button", { name: "Show more calls" }));
  expect(await screen.findByRole("link", { name: "Call 2" })).toBeInTheDocument();
  await waitFor(() => {
    const last = new URL(seen.filter((r) => r.url.includes("/v1/calls")).at(-1)!.url).searchParams;
    expect(Object.fromEntries(last)).toEqual({ q: "acme", status: "scored", sort: "longest", limit: "25", cursor: "CUR" });
  });
});
