import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, standIn } from "../test/server";
import { renderAt } from "../test/render";
import { ConfirmEmailPage } from "./ConfirmEmailPage";

afterEach(() => vi.unstubAllGlobals());

test("opening the link changes nothing; the button confirms with the link's token", async () => {
  const seen = standIn({ "POST /v1/auth/email/confirm": () => new Response(null, { status: 204 }) });
  renderAt("/confirm-email/tok-1", [{ path: "/confirm-email/:token", element: <ConfirmEmailPage /> }]);
  expect(await screen.findByRole("button", { name: "Confirm email address" })).toBeInTheDocument();
  expect(seen).toHaveLength(0);
  await userEvent.click(screen.getByRole("button", { name: "Confirm email address" }));
  expect(await screen.findByText(/is confirmed/)).toBeInTheDocument();
  expect(await seen[0]!.json()).toEqual({ token: "tok-1" });
});

test("a used or expired link says why", async () => {
  standIn({
    "POST /v1/auth/email/confirm": () =>
      json({ error: { code: "invalid_token", message: "this link has expired or was used" } }, 400),
  });
  renderAt("/confirm-email/old", [{ path: "/confirm-email/:token", element: <ConfirmEmailPage /> }]);
  await userEvent.click(await screen.findByRole("button", { name: "Confirm email address" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("this link has expired or was used");
});
