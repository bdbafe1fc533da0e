import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, ME, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { AcceptInvitationPage, LogInPage, SignUpPage } from "./AuthPages";

afterEach(() => vi.unstubAllGlobals());

/** The stand-in gateway answers `route` with this error. */
function refuse(route: string, status: number, code: string, message: string) {
  standIn({ [route]: () => json({ error: { code, message } }, status) });
}

/** Types each value into the field of that label, then presses the button. */
async function send(fields: Record<string, string>, button: string) {
  for (const [label, text] of Object.entries(fields)) await userEvent.type(screen.getByLabelText(label), text);
  await userEvent.click(screen.getByRole("button", { name: button }));
}

test("a wrong password is shown beside the password field", async () => {
  refuse("POST /v1/auth/login", 401, "invalid_credentials", "wrong email or password");
  renderAt("/login", [{ path: "/login", element: <LogInPage /> }]);
  await send({ Email: "rita@seller.example", Password: "not the password" }, "Log in");
  const password = screen.getByLabelText("Password");
  expect(await screen.findByText("wrong email or password")).toBeInTheDocument();
  expect(password).toHaveAttribute("aria-invalid", "true");
  expect(password).toHaveAccessibleDescription("wrong email or password");
});

test("sign up sends the form, keeps the CSRF token and goes where it was asked", async () => {
  const seen = standIn({
    "POST /v1/auth/signup": () => json({ user: ME, csrf_token: "tok-123" }, 201),
    "POST /v1/auth/logout": () => new Response(null, { status: 204 }),
  });
  const router = renderAt("/signup?next=/calls/abc", [
    { path: "/signup", element: <SignUpPage /> },
    { path: "/calls/abc", element: <p>the call</p> },
  ]);
  await send({ Name: "Rita Rep", Email: "rita@seller.example", Password: "correct horse battery", Organization: "Seller Inc" }, "Sign up");
  expect(await screen.findByText("the call")).toBeInTheDocument();
  expect(router.state.location.pathname).toBe("/calls/abc");
  expect(await seen[0]!.json()).toEqual({
    name: "Rita Rep", email: "rita@seller.example", password: "correct horse battery", organization: "Seller Inc",
  });
  // the next state-changing request carries the session's token
  const { api } = await import("../api/client");
  await api.POST("/v1/auth/logout");
  expect(seen[1]!.headers.get("X-CSRF-Token")).toBe("tok-123");
});

test("a next link to another site is ignored", async () => {
  standIn({ "POST /v1/auth/login": () => json({ user: ME, csrf_token: "t" }) });
  const router = renderAt("/login?next=//evil.example/x", [
    { path: "/login", element: <LogInPage /> },
    { path: "/calls", element: <p>calls</p> },
  ]);
  await send({ Email: "a@b.example", Password: "whatever-long" }, "Log in");
  expect(await screen.findByText("calls")).toBeInTheDocument();
  expect(router.state.location.pathname).toBe("/calls");
});

test("an invitation link signs the new member in with the name and password they choose", async () => {
  const seen = standIn({
    "POST /v1/invitations/inv-tok/accept": () => json({ user: { ...ME, role: "rep" }, csrf_token: "t" }, 201),
  });
  renderAt("/invitations/inv-tok", [
    { path: "/invitations/:token", element: <AcceptInvitationPage /> },
    { path: "/calls", element: <p>calls</p> },
  ]);
  await send({ Name: "Rob Rep", Password: "a long enough password" }, "Accept invitation");
  expect(await screen.findByText("calls")).toBeInTheDocument();
  expect(await seen[0]!.json()).toEqual({ name: "Rob Rep", password: "a long enough password" });
});

test("an expired invitation says so", async () => {
  refuse("POST /v1/invitations/old/accept", 404, "invitation_invalid", "this invitation has expired or was used");
  renderAt("/invitations/old", [{ path: "/invitations/:token", element: <AcceptInvitationPage /> }]);
  await send({ Name: "Rob Rep", Password: "a long enough password" }, "Accept invitation");
  expect(await screen.findByRole("alert")).toHaveTextContent("this invitation has expired or was used");
});
