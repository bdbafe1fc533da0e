import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderAt } from "../../test/render";
import { json, ME, standIn } from "../../test/server";
import { SettingsPage } from "../SettingsPage";
import { response } from "./DeliveryLog";
import { IntegrationsSettings } from "./IntegrationsSettings";
import { ruleText } from "./SlackIntegration";
import { zoomOutcome } from "./ZoomIntegration";

afterEach(() => vi.unstubAllGlobals());

const AT = "2026-12-07T10:00:00Z";
const session = (role = "owner") => ({
  "GET /v1/me": () => json({ ...ME, role }),
  "GET /v1/auth/csrf": () => json({ csrf_token: "csrf-1" }),
});
const empty = () => json({ items: [], next_cursor: null });
const quiet = {
  "GET /v1/integrations/zoom": () => json({ connected: false }),
  "GET /v1/integrations/slack/connection": () => json({ connected: false, connected_at: null }),
  "GET /v1/integrations/slack/rules": empty,
  "GET /v1/webhooks": empty,
};
// Types the Zoom Server-to-Server form's four fields, as a person would.
async function fillServerToServer(form: ReturnType<typeof within>, account: string, client: string, secret: string, token: string) {
  await userEvent.type(form.getByLabelText("Account ID"), account);
  await userEvent.type(form.getByLabelText("Client ID"), client);
  await userEvent.type(form.getByLabelText("Client secret"), secret);
  await userEvent.type(form.getByLabelText("Secret token"), token);
}
const page = (path = "/settings/integrations") =>
  renderAt(path, [{ path: "/settings/integrations", element: <IntegrationsSettings /> }]);

test("the OAuth round trip's outcome and rules read as sentences", () => {
  expect(zoomOutcome(new URLSearchParams("zoom=connected"))?.ok).toBe(true);
  const refused = zoomOutcome(new URLSearchParams("zoom=error&reason=zoom_not_configured"));
  expect(refused).toEqual({ ok: false, text: expect.stringMatching(/not set up on this server/) });
  expect(zoomOutcome(new URLSearchParams("zoom=error&reason=weird"))?.text).toMatch(/\(weird\)/);
  expect(zoomOutcome(new URLSearchParams("tab=x"))).toBeNull();
  expect(ruleText({ kind: "score_below", threshold: 50, tracker: null })).toBe("Score below 50");
  expect(ruleText({ kind: "tracker_hit", threshold: null, tracker: "Competitor" })).toBe("Tracker “Competitor” mentioned");
  expect(response(undefined)).toBe("not sent yet");
  expect(response({ at: AT, status_code: null, error: "connection refused", duration_ms: 3, manual: false })).toBe("connection refused");
});

test("only owners and admins see the tab; a rep who opens it is told why and nothing is asked", async () => {
  const seen = standIn({ ...session("rep"), ...quiet });
  renderAt("/settings/integrations", [
    { path: "/settings", element: <SettingsPage />, children: [{ path: "integrations", element: <IntegrationsSettings /> }] } as never,
  ]);
  expect(await screen.findByRole("alert")).toHaveTextContent("Only owners and admins manage integrations");
  expect(screen.queryByRole("link", { name: "Integrations" })).toBeNull();
  expect(seen.filter((r) => /integrations|webhooks/.test(r.url))).toEqual([]);
});

test("an admin sees the Integrations tab", async () => {
  standIn({ ...session("admin"), ...quiet });
  renderAt("/settings", [{ path: "/settings", element: <SettingsPage /> }]);
  expect(await screen.findByRole("link", { name: "Integrations" })).toHaveAttribute("href", "/settings/integrations");
});

test("Zoom not connected: the connect link goes through the gateway, and Zoom's answer is shown until dismissed", async () => {
  standIn({ ...session(), ...quiet });
  const router = page("/settings/integrations?zoom=error&reason=zoom_state_invalid");
  const zoom = within(await screen.findByRole("region", { name: "Zoom" }));
  expect(await zoom.findByRole("alert")).toHaveTextContent("Zoom was not connected: the authorization expired");
  expect(await zoom.findByTestId("zoom-status")).toHaveTextContent("Not connected.");
  expect(zoom.getByRole("link", { name: "Connect Zoom" })).toHaveAttribute("href", "/v1/integrations/zoom/authorize");
  await userEvent.click(zoom.getByRole("button", { name: "Dismiss" }));
  expect(zoom.queryByRole("alert")).toBeNull();
  expect(router.state.location.search).toBe("");
});

test("Zoom connected: how, since when, the last failure, the imports page by page, and a confirmed disconnect", async () => {
  let connected = true;
  const imp = (id: string, title: string, status: string, extra: object = {}) => ({
    id, title, file_type: "M4A", status, attempts: 1, call_id: null, error: null, created_at: AT, updated_at: AT, ...extra,
  });
  const seen = standIn({
    ...session(),
    ...quiet,
    "GET /v1/integrations/zoom": () =>
      json(
        connected
          ? { connected: true, kind: "oauth", account_id: "acct-9", connected_at: AT, last_import_at: AT, last_failure: "the recording is gone", last_failure_at: AT }
          : { connected: false },
      ),
    "GET /v1/integrations/zoom/imports": (r) =>
      new URL(r.url).searchParams.get("cursor") === "p2"
        ? json({ items: [imp("i3", "Old demo", "imported", { call_id: "c3" })], next_cursor: null })
        : json({
            items: [imp("i1", "Discovery with Buyer", "imported", { call_id: "c 1" }), imp("i2", "Lost one", "failed", { error: "Zoom answered 404" })],
            next_cursor: "p2",
          }),
    "DELETE /v1/integrations/zoom/connection": () => ((connected = false), new Response(null, { status: 204 })),
  });
  page("/settings/integrations?zoom=connected");
  const zoom = within(await screen.findByRole("region", { name: "Zoom" }));
  expect(zoom.getByText(/Zoom is connected: recordings/).closest("[role=status]")).not.toBeNull();
  expect(await zoom.findByTestId("zoom-status")).toHaveTextContent(/Connected with OAuth .* to the Zoom account acct-9/);
  expect(zoom.getByText(/the recording is gone/)).toBeInTheDocument();
  expect(await zoom.findByRole("link", { name: "Open the call Discovery with Buyer" })).toHaveAttribute("href", "/calls/c%201");
  expect(zoom.getByRole("row", { name: /Lost one/ })).toHaveTextContent("Zoom answered 404");
  await userEvent.click(zoom.getByRole("button", { name: "More recordings" }));
  expect(await zoom.findByRole("link", { name: "Open the call Old demo" })).toBeInTheDocument();
  expect(zoom.queryByRole("button", { name: "More recordings" })).toBeNull();

  await userEvent.click(zoom.getByRole("button", { name: "Disconnect Zoom" }));
  const confirm = zoom.getByRole("group", { name: "Confirm disconnecting Zoom" });
  expect(within(confirm).getByRole("button", { name: "Keep it" })).toHaveFocus(); // the safe choice first
  await userEvent.keyboard("{Escape}");
  expect(zoom.getByRole("button", { name: "Disconnect Zoom" })).toHaveFocus();
  expect(seen.some((r) => r.method === "DELETE")).toBe(false);
  expect(zoom.queryByRole("link", { name: /Connect Zoom/ })).toBeNull(); // connected and working: nothing to connect
  expect(zoom.queryByText("Update app credentials")).toBeNull(); // OAuth: no app credentials of the organization's
  await userEvent.click(zoom.getByRole("button", { name: "Disconnect Zoom" }));
  await userEvent.click(zoom.getByRole("button", { name: "Yes, disconnect Zoom" }));
  expect(await zoom.findByText("Not connected.")).toBeInTheDocument();
  expect(seen.filter((r) => r.method === "DELETE").map((r) => new URL(r.url).pathname)).toEqual(["/v1/integrations/zoom/connection"]);
});

test("a connection whose token Zoom refused asks to be reconnected", async () => {
  standIn({
    ...session(),
    ...quiet,
    "GET /v1/integrations/zoom": () =>
      json({ connected: true, kind: "oauth", account_id: "acct-9", connected_at: AT, needs_reauthorization: true, last_failure: "Zoom refused the token" }),
    "GET /v1/integrations/zoom/imports": empty,
  });
  page();
  const zoom = within(await screen.findByRole("region", { name: "Zoom" }));
  expect(await zoom.findByRole("alert")).toHaveTextContent("reconnect Zoom to keep recordings arriving");
  expect(zoom.getByRole("link", { name: "Reconnect Zoom" })).toHaveAttribute("href", "/v1/integrations/zoom/authorize");
  expect(zoom.getByRole("button", { name: "Disconnect Zoom" })).toBeInTheDocument();
});

test("Zoom Server-to-Server: the organization's own app's credentials, refused in words, then the URL to paste", async () => {
  let connected = false;
  const sent: Record<string, string>[] = [];
  const S2S = { connected: true, kind: "server_to_server", account_id: "acct-s2s", connected_at: AT, needs_reauthorization: false };
  const URL_SHOWN = "https://clashtor.example/webhooks/zoom/k3y";
  standIn({
    ...session(),
    ...quiet,
    "GET /v1/integrations/zoom": () => json(connected ? { ...S2S, client_id: "cid", webhook_url: URL_SHOWN } : { connected: false }),
    "GET /v1/integrations/zoom/imports": empty,
    "POST /v1/integrations/zoom/server-to-server": async (r) => {
      const body = await r.json();
      sent.push(body);
      if (body.client_secret !== "right") {
        return json({ error: { code: "zoom_credentials_refused", message: "Zoom refused (HTTP 401)" } }, 422);
      }
      connected = true;
      return json({ ...S2S, client_id: "cid", webhook_url: URL_SHOWN });
    },
  });
  page();
  const zoom = within(await screen.findByRole("region", { name: "Zoom" }));
  await userEvent.click(await zoom.findByText("Or connect your own Server-to-Server OAuth app"));
  const form = within(zoom.getByRole("form", { name: "Zoom Server-to-Server app" }));
  expect(form.getByLabelText("Client secret")).toHaveAttribute("type", "password");
  expect(form.getByLabelText("Secret token")).toHaveAttribute("type", "password");
  await fillServerToServer(form, " acct-s2s ", "cid", "wrong", "tok");
  await userEvent.click(form.getByRole("button", { name: "Connect with this app" }));
  expect(await zoom.findByRole("alert")).toHaveTextContent("Zoom refused these credentials. Check the account ID");
  expect(sent[0]).toEqual({ account_id: "acct-s2s", client_id: "cid", client_secret: "wrong", webhook_secret_token: "tok" });

  await userEvent.clear(form.getByLabelText("Client secret"));
  await userEvent.type(form.getByLabelText("Client secret"), "right");
  await userEvent.click(form.getByRole("button", { name: "Connect with this app" }));
  expect(await zoom.findByTestId("zoom-webhook-url")).toHaveTextContent(URL_SHOWN);
  expect(zoom.getByTestId("zoom-status")).toHaveTextContent(/Connected with Server-to-Server OAuth to the Zoom account acct-s2s/);
  // connected: the form is folded away, offered again only to replace the app's credentials
  expect(zoom.getByText("Update app credentials").closest("details")).not.toHaveAttribute("open");
  expect(zoom.queryByText("Or connect your own Server-to-Server OAuth app")).toBeNull();
  expect(zoom.queryByRole("alert")).toBeNull();
});

test("Zoom Server-to-Server: a connected app's credentials can be replaced, the URL to paste stays", async () => {
  const sent: Record<string, string>[] = [];
  const URL_SHOWN = "https://clashtor.example/webhooks/zoom/k3y";
  const S2S = { connected: true, kind: "server_to_server", account_id: "acct-s2s", connected_at: AT, needs_reauthorization: false };
  standIn({
    ...session(),
    ...quiet,
    "GET /v1/integrations/zoom": () => json({ ...S2S, client_id: "cid", webhook_url: URL_SHOWN }),
    "GET /v1/integrations/zoom/imports": empty,
    "POST /v1/integrations/zoom/server-to-server": async (r) => {
      sent.push(await r.json());
      return json({ ...S2S, client_id: "cid", webhook_url: URL_SHOWN });
    },
  });
  page();
  const zoom = within(await screen.findByRole("region", { name: "Zoom" }));
  expect(await zoom.findByTestId("zoom-webhook-url")).toHaveTextContent(URL_SHOWN);
  const summary = zoom.getByText("Update app credentials");
  expect(summary.closest("details")).not.toHaveAttribute("open"); // collapsed until asked for
  await userEvent.click(summary);
  const form = within(zoom.getByRole("form", { name: "Zoom Server-to-Server app" }));
  await fillServerToServer(form, "acct-s2s", "cid", "rotated", "new-token");
  await userEvent.click(form.getByRole("button", { name: "Save new credentials" }));
  expect(await zoom.findByRole("status")).toHaveTextContent("Zoom accepted the new credentials");
  expect(sent).toEqual([{ account_id: "acct-s2s", client_id: "cid", client_secret: "rotated", webhook_secret_token: "new-token" }]);
  expect(form.getByLabelText("Client secret")).toHaveValue("");
  expect(zoom.getByTestId("zoom-webhook-url")).toHaveTextContent(URL_SHOWN);
  expect(zoom.getByRole("button", { name: "Disconnect Zoom" })).toBeInTheDocument();
});

test("Slack: a token is stored write-only, and rules are added with their parameter and deleted", async () => {
  let connected = false;
  const rules: object[] = [];
  const seen = standIn({
    ...session(),
    ...quiet,
    "GET /v1/integrations/slack/connection": () => json({ connected, connected_at: connected ? AT : null }),
    "PUT /v1/integrations/slack/connection": () => ((connected = true), new Response(null, { status: 204 })),
    "GET /v1/integrations/slack/rules": () => json({ items: rules, next_cursor: null }),
    "POST /v1/integrations/slack/rules": async (r) => {
      const body = await r.json();
      if (!body.channel)
        return json({ error: { code: "validation_error", message: "body.score_below.channel: String should have at least 1 character" } }, 422);
      const rule = { id: `r${rules.length + 1}`, threshold: null, tracker: null, enabled: true, created_at: AT, ...body };
      rules.push(rule);
      return json(rule, 201);
    },
    "DELETE /v1/integrations/slack/rules/r1": () => (rules.splice(0, 1), new Response(null, { status: 204 })),
  });
  page();
  const slack = within(await screen.findByRole("region", { name: "Slack" }));
  expect(await slack.findByTestId("slack-status")).toHaveTextContent("Not connected");
  const token = slack.getByLabelText("Bot token");
  expect(token).toHaveAttribute("type", "password");
  await userEvent.type(token, "xoxb-123-456");
  await userEvent.click(slack.getByRole("button", { name: "Connect Slack" }));
  expect(await slack.findByText(/bot token stored since/)).toBeInTheDocument();
  expect(token).toHaveValue("");
  expect(slack.getByRole("button", { name: "Replace token" })).toBeInTheDocument();

  // the channel is missing: said beside the channel, nothing listed
  await userEvent.clear(slack.getByLabelText("Threshold"));
  await userEvent.type(slack.getByLabelText("Threshold"), "40");
  await userEvent.click(slack.getByRole("button", { name: "Add rule" }));
  expect(await slack.findByText("String should have at least 1 character")).toBeInTheDocument();
  expect(slack.getByLabelText("Channel")).toHaveAttribute("aria-invalid", "true");
  await userEvent.type(slack.getByLabelText("Channel"), "#sales");
  await userEvent.click(slack.getByRole("button", { name: "Add rule" }));
  expect(await slack.findByRole("cell", { name: "Score below 40" })).toBeInTheDocument();

  await userEvent.selectOptions(slack.getByLabelText("Alert when"), "tracker_hit");
  expect(slack.queryByLabelText("Threshold")).toBeNull();
  await userEvent.type(slack.getByLabelText("Tracker"), "Competitor");
  await userEvent.type(slack.getByLabelText("Channel"), "#deals");
  await userEvent.click(slack.getByRole("button", { name: "Add rule" }));
  expect(await slack.findByRole("cell", { name: "Tracker “Competitor” mentioned" })).toBeInTheDocument();
  const posted = await Promise.all(seen.filter((r) => r.method === "POST").map((r) => r.json()));
  expect(posted.slice(1)).toEqual([
    { channel: "#sales", kind: "score_below", threshold: 40 },
    { channel: "#deals", kind: "tracker_hit", tracker: "Competitor" },
  ]);
  const put = seen.find((r) => r.method === "PUT")!;
  expect(await put.json()).toEqual({ bot_token: "xoxb-123-456" });

  await userEvent.click(slack.getByRole("button", { name: "Delete the rule Score below 40 in #sales" }));
  await waitFor(() => expect(slack.queryByRole("cell", { name: "Score below 40" })).toBeNull());
});

test("webhooks: the secret is shown once with a copy button, the log shows response codes, a delivery is redelivered and the secret rotated", async () => {
  const writeText = vi.fn(async () => undefined);
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  const hooks: object[] = [];
  const hook = {
    id: "w1", url: "https://hooks.example/in", event_types: ["call.scored", "privacy.request.completed"], description: "CRM",
    source: "api", enabled: true, created_at: AT, updated_at: AT,
  };
  const delivery = {
    id: "msg_1", event_type: "call.scored", status: "delivered", attempts: 2, next_attempt_at: null, last_status_code: 200,
    created_at: AT, delivered_at: AT,
    log: [
      { at: AT, status_code: 503, error: null, duration_ms: 12, manual: false },
      { at: AT, status_code: 200, error: null, duration_ms: 9, manual: false },
    ],
  };
  const seen = standIn({
    ...session(),
    ...quiet,
    "GET /v1/webhooks": () => json({ items: hooks, next_cursor: null }),
    "POST /v1/webhooks": async (r) => {
      const body = await r.json();
      if (body.url.includes("10.0.0.1"))
        return json({ error: { code: "target_refused", message: "this URL cannot receive webhooks: 10.0.0.1 is private" } }, 422);
      hooks.push(hook);
      return json({ ...hook, secret: "whsec_first" }, 201);
    },
    "GET /v1/webhooks/w1/deliveries": () => json({ items: [delivery], next_cursor: null }),
    "POST /v1/webhooks/w1/deliveries/msg_1/redeliver": () => json(delivery, 202),
    "POST /v1/webhooks/w1/rotate-secret": () => json({ secret: "whsec_second", previous_valid_until: AT }),
  });
  page();
  const hooksRegion = within(await screen.findByRole("region", { name: "Webhooks" }));
  const url = hooksRegion.getByLabelText("Endpoint URL");
  await userEvent.type(url, "http://10.0.0.1/x");
  await userEvent.click(hooksRegion.getByRole("checkbox", { name: /privacy\.request\.completed/ }));
  await userEvent.click(hooksRegion.getByRole("button", { name: "Add webhook" }));
  expect(await hooksRegion.findByText(/10\.0\.0\.1 is private/)).toBeInTheDocument();
  expect(url).toHaveAttribute("aria-invalid", "true");

  await userEvent.clear(url);
  await userEvent.type(url, "https://hooks.example/in");
  await userEvent.type(hooksRegion.getByLabelText("Description"), "CRM");
  await userEvent.click(hooksRegion.getByRole("button", { name: "Add webhook" }));
  expect(await hooksRegion.findByTestId("new-webhook-secret")).toHaveTextContent("whsec_first");
  const bodies = await Promise.all(seen.filter((r) => r.method === "POST").map((r) => r.json()));
  expect(bodies[1]).toEqual({ url: "https://hooks.example/in", event_types: ["call.scored", "privacy.request.completed"], description: "CRM" });
  await userEvent.click(hooksRegion.getByRole("button", { name: "Copy signing secret" }));
  expect(writeText).toHaveBeenCalledWith("whsec_first");
  expect(await hooksRegion.findByText("Copied.")).toBeInTheDocument();

  const item = within(await hooksRegion.findByRole("article", { name: "https://hooks.example/in" }));
  const logButton = item.getByRole("button", { name: "Delivery log of https://hooks.example/in" });
  expect(logButton).toHaveAttribute("aria-expanded", "false");
  await userEvent.click(logButton);
  expect(logButton).toHaveAttribute("aria-expanded", "true");
  const log = within(await item.findByRole("region", { name: "Deliveries to https://hooks.example/in" }));
  expect(await log.findByTestId("delivery-response")).toHaveTextContent("200");
  expect(log.getByRole("row", { name: /msg_1/ })).toHaveTextContent("Delivered");
  await userEvent.click(log.getByRole("button", { name: "Redeliver call.scored msg_1" }));
  await waitFor(() => expect(seen.some((r) => r.url.endsWith("/deliveries/msg_1/redeliver"))).toBe(true));

  await userEvent.click(item.getByRole("button", { name: "Rotate secret of https://hooks.example/in" }));
  expect(await item.findByTestId("rotated-webhook-secret")).toHaveTextContent("whsec_second");
  expect(item.getByText(/signed with both the old and the new one/)).toBeInTheDocument();
});
