import { screen } from "@testing-library/react";
import { json, ME, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { PrivacyRequestPage } from "./RequestPage";

afterEach(() => vi.unstubAllGlobals());

const route = [{ path: "/privacy/requests/:id", element: <PrivacyRequestPage /> }];
const ack = (service: string, status: string) => ({ service, status, at: status === "pending" ? null : "2026-12-06T20:00:00Z", details: {} });

test("acknowledgements fill in as they arrive, then the certificate is offered", async () => {
  let reads = 0;
  standIn({
    "GET /v1/me": () => json(ME),
    "GET /v1/auth/csrf": () => json({ csrf_token: "t" }),
    "GET /v1/privacy/requests/r1": () => {
      reads += 1;
      const done = reads > 1;
      return json({
        id: "r1",
        kind: "erasure",
        status: done ? "completed" : "in_progress",
        requested_by: "u1",
        subject: { type: "participant", id: null },
        acknowledgements: [ack("ingest", "completed"), ack("score", done ? "completed" : "pending")],
      });
    },
  });
  renderAt("/privacy/requests/r1", route);
  expect(await screen.findByRole("heading", { name: "Services 1 of 2 done" })).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Download the certificate" })).toBeNull();
  expect(await screen.findByRole("heading", { name: "Services 2 of 2 done" }, { timeout: 4000 })).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Download the certificate" })).toBeInTheDocument();
  expect(screen.getByTestId("request-status")).toHaveTextContent("Completed");
});

test("a request the caller may not read says so", async () => {
  standIn({
    "GET /v1/me": () => json(ME),
    "GET /v1/auth/csrf": () => json({ csrf_token: "t" }),
    "GET /v1/privacy/requests/nope": () => json({ error: { code: "not_found", message: "privacy request nope not found" } }, 404),
  });
  renderAt("/privacy/requests/nope", route);
  expect(await screen.findByRole("alert")).toHaveTextContent("privacy request nope not found");
});
