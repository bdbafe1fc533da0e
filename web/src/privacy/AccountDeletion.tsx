// The owner deletes the organization's account: closed at once for every member, erased
// for good after 30 days, restorable until then.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import type { Me } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/Field";
import { when } from "../lib/time";

export const RESTORE_DAYS = 30;

/** The day a deleted account is erased for good: its deletion time plus the 30 days. */
export function restorableUntil(deletedAt: string): string {
  return new Date(new Date(deletedAt).getTime() + RESTORE_DAYS * 86_400_000).toISOString();
}

export function AccountDeletion({ me }: { me: Me }) {
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const deletedAt = me.organization.deletion_requested_at;

  async function act(pending: Promise<{ data?: unknown; error?: unknown; response: Response }>) {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(pending);
      await client.invalidateQueries();
    } catch (e) {
      setError(e instanceof Error ? e.message : "Clashtor did not answer.");
    } finally {
      setBusy(false);
    }
  }

  if (deletedAt)
    return (
      <div className="card danger-zone">
        <h2>The account is deleted</h2>
        <p>
          {me.organization.name} is closed for every member. Its data is erased for good on{" "}
          <strong>{when(restorableUntil(deletedAt))}</strong>; until then you can restore it as it was.
        </p>
        <button type="button" disabled={busy} onClick={() => act(api.POST("/v1/account/restore"))}>
          Restore the account
        </button>
        <FormError message={error} />
      </div>
    );
  return (
    <div className="card danger-zone">
      <h2>Delete the organization's account</h2>
      <p>
        Every member loses access at once. For {RESTORE_DAYS} days you can restore it; after that every call,
        transcript, score and member of {me.organization.name} is erased for good.
      </p>
      <ConfirmDialog
        label="Delete the account"
        question={`Delete ${me.organization.name}?`}
        confirmLabel="Yes, delete the account"
        name="Confirm account deletion"
        busy={busy}
        onConfirm={() => act(api.DELETE("/v1/account"))}
      />
      <FormError message={error} />
    </div>
  );
}

/** Shown on every page while the account waits out its 30 days. */
export function DeletedAccountBanner({ me }: { me: Me }) {
  const deletedAt = me.organization.deletion_requested_at;
  if (!deletedAt) return null;
  return (
    <p className="banner" role="status">
      This organization's account is deleted and will be erased for good on {when(restorableUntil(deletedAt))}.
      {me.role === "owner" ? " Restore it from the privacy center." : " Ask its owner to restore it."}
    </p>
  );
}
