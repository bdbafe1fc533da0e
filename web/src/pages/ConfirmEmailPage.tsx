// The link mailed after an email change (`/confirm-email/<token>`). Nothing happens on
// opening it: a mail scanner that follows links must not confirm on the user's behalf,
// so the user presses the button.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import { FormError } from "../components/Field";
import { ME_KEY } from "../auth/session";
import { formErrors } from "../lib/fieldErrors";

export function ConfirmEmailPage() {
  const { token = "" } = useParams();
  const client = useQueryClient();
  const [state, setState] = useState<"idle" | "busy" | "done">("idle");
  const [error, setError] = useState<string>();
  async function confirm() {
    setState("busy");
    setError(undefined);
    try {
      await unwrap(api.POST("/v1/auth/email/confirm", { body: { token } }));
      await client.invalidateQueries({ queryKey: ME_KEY });
      setState("done");
    } catch (err) {
      setError(formErrors(err, []).general);
      setState("idle");
    }
  }
  return (
    <section className="card narrow">
      <h1>Confirm your email address</h1>
      {state === "done" ? (
        <>
          <p role="status">Your email address is confirmed. Use it to log in from now on.</p>
          <Link className="button" to="/calls">
            Go to your calls
          </Link>
        </>
      ) : (
        <>
          <p>Confirm that this is the address you want to use for Clashtor.</p>
          <FormError message={error} />
          <button type="button" onClick={confirm} disabled={state === "busy"}>
            Confirm email address
          </button>
        </>
      )}
    </section>
  );
}
