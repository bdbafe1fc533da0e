// Zoom: whether (and how) the organization's Zoom account is connected, the way to connect
// it (OAuth through the gateway, or Server-to-Server OAuth with the credentials of the app
// the organization made inside its own Zoom account: the page then shows the URL that
// app's event subscription must post to), to disconnect it, and every recording Zoom
// announced with what became of it.
//
// "Connect Zoom" is a plain link: the gateway redirects to Zoom's consent page and Zoom's
// answer comes back through the gateway to this page as ?zoom=connected or
// ?zoom=error&reason=<code>, which is shown once and can be dismissed.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ApiError, unwrap, type Schemas } from "../../api/client";
import { ActionForm } from "../../components/ActionForm";
import { Field, FormError } from "../../components/Field";
import { MorePages } from "../../components/MorePages";
import { ItemTable } from "../../components/ItemTable";
import { when } from "../../lib/time";
import { useFormAction } from "../../lib/useFormAction";
import { DisconnectDialog } from "./DisconnectDialog";

export const ZOOM_KEY = ["integrations", "zoom"] as const;
const IMPORTS_PAGE = 20;

const KIND: Record<string, string> = { oauth: "OAuth (an admin's consent)", server_to_server: "Server-to-Server OAuth" };

/** Why Zoom was not connected, in words, for the reasons the gateway and Zoom send back. */
const REASONS: Record<string, string> = {
  access_denied: "the consent was declined in Zoom.",
  missing_code: "Zoom came back without an authorization code. Try again.",
  zoom_not_configured: "Zoom is not set up on this server (ask your Clashtor administrator for the Zoom app's keys).",
  zoom_state_invalid: "the authorization expired or was already used. Start again from this page.",
  zoom_account_taken: "that Zoom account is already connected to another organization.",
  zoom_unavailable: "Zoom did not answer. Try again in a minute.",
  zoom_refused: "Zoom refused the authorization code. Try again.",
  zoom_credentials_refused: "Zoom refused these credentials. Check the account ID, client ID and client secret on your Server-to-Server app's page.",
  service_unavailable: "Clashtor's integrations are not answering right now. Try again in a minute.",
};

/** The message the OAuth round trip left in the address, if any. */
export function zoomOutcome(params: URLSearchParams): { ok: boolean; text: string } | null {
  const zoom = params.get("zoom");
  if (zoom === "connected") return { ok: true, text: "Zoom is connected: recordings of its meetings now arrive as calls." };
  if (zoom !== "error") return null;
  const reason = params.get("reason") ?? "";
  return { ok: false, text: `Zoom was not connected: ${REASONS[reason] ?? `Zoom or Clashtor refused (${reason || "no reason given"}).`}` };
}

type Status = Schemas["ZoomStatus"];

export function ZoomIntegration() {
  const [params, setParams] = useSearchParams();
  const outcome = zoomOutcome(params);
  const status = useQuery({
    queryKey: ZOOM_KEY,
    queryFn: () => unwrap(api.GET("/v1/integrations/zoom")),
  });
  const action = useFormAction(ZOOM_KEY);
  const disconnect = () => action.run(() => unwrap(api.DELETE("/v1/integrations/zoom/connection")));
  const zoom = status.data;
  return (
    <section className="card" aria-labelledby="zoom-heading">
      <h2 id="zoom-heading">Zoom</h2>
      <p>Cloud recordings of your Zoom meetings arrive as calls by themselves, uploaded on behalf of the meeting's host.</p>
      {outcome && (
        <div className={outcome.ok ? "flash" : "form-error notice"} role={outcome.ok ? "status" : "alert"}>
          <p>{outcome.text}</p>
          <button type="button" className="secondary small" onClick={() => setParams({}, { replace: true })}>
            Dismiss
          </button>
        </div>
      )}
      {status.isPending && <p role="status">Loading the Zoom connection…</p>}
      {status.isError && <p role="alert">{status.error.message}</p>}
      {zoom && <ZoomState zoom={zoom} />}
      {zoom && (
        <div className="actions">
          {!zoom.connected || zoom.needs_reauthorization ? (
            <>
              <a className="button" href="/v1/integrations/zoom/authorize">
                {zoom.connected ? "Reconnect Zoom" : "Connect Zoom"}
              </a>
            </>
          ) : null}
          {zoom.connected && (
            <DisconnectDialog
              provider="Zoom"
              question="Disconnect Zoom? Its tokens are deleted and new recordings no longer arrive; calls already imported stay."
              busy={action.busy}
              onConfirm={disconnect}
            />
          )}
        </div>
      )}
      <FormError message={action.errors.general} />
      {zoom && (!zoom.connected || zoom.needs_reauthorization || zoom.kind === "server_to_server") && (
        <ServerToServerForm key={String(updating(zoom))} update={updating(zoom)} />
      )}
      {zoom?.connected && <ZoomImports />}
    </section>
  );
}

const S2S_FIELDS = ["account_id", "client_id", "client_secret", "webhook_secret_token"] as const;
type S2SForm = Record<(typeof S2S_FIELDS)[number], string>;
const NO_S2S: S2SForm = { account_id: "", client_id: "", client_secret: "", webhook_secret_token: "" };

/** An API error with a Zoom code this page knows, told in its words. */
function inWords(err: unknown): unknown {
  if (!(err instanceof ApiError) || !REASONS[err.code]) return err;
  return new ApiError(err.status, err.code, `Zoom was not connected: ${REASONS[err.code]}`);
}

/** Whether the Server-to-Server form replaces the credentials of the app already connected
 * (a leaked client secret, a mistyped secret token) rather than connecting one. */
const updating = (zoom: Status) => Boolean(zoom.connected && zoom.kind === "server_to_server");

/** Server-to-Server OAuth with the organization's own app: its credentials, checked with
 * Zoom by the server before anything is kept; the secrets are never shown again. With
 * ``update``, new credentials for the connected app: the same account keeps its
 * event notification URL (remounted by its key: collapsed again once connected). */
function ServerToServerForm({ update }: { update: boolean }) {
  const [form, setForm] = useState<S2SForm>(NO_S2S);
  const [saved, setSaved] = useState(false);
  const action = useFormAction(ZOOM_KEY, S2S_FIELDS);
  const connect = action.submit(async () => {
    setSaved(false);
    const body = Object.fromEntries(S2S_FIELDS.map((f) => [f, form[f].trim()])) as S2SForm;
    try {
      await unwrap(api.POST("/v1/integrations/zoom/server-to-server", { body }));
    } catch (err) {
      throw inWords(err);
    }
    setForm(NO_S2S);
    setSaved(true);
  });
  const field = (name: keyof S2SForm, label: string, hint: string, secret = false) => (
    <Field
      label={label}
      type={secret ? "password" : "text"}
      autoComplete="off"
      hint={hint}
      value={form[name]}
      onValue={(value) => setForm({ ...form, [name]: value })}
      error={action.errors.fields[name]}
    />
  );
  return (
    <details>
      <summary>{update ? "Update app credentials" : "Or connect your own Server-to-Server OAuth app"}</summary>
      {update ? (
        <p>
          Replace a leaked client secret or a mistyped secret token: enter the app's current credentials, all four. For the same
          Zoom account the event notification endpoint URL stays as it is; only notifications signed with the new secret token
          are accepted from then on.
        </p>
      ) : (
        <p>
          Create a Server-to-Server OAuth app in your Zoom account (Zoom App Marketplace), give it the recording and meeting read
          scopes, and copy its credentials here. After connecting, point the app's event subscription at the URL shown here.
        </p>
      )}
      <ActionForm
        action={action}
        onSubmit={connect}
        button={update ? "Save new credentials" : "Connect with this app"}
        label="Zoom Server-to-Server app"
      >
        {field("account_id", "Account ID", "From the app's App credentials page.")}
        {field("client_id", "Client ID", "From the app's App credentials page.")}
        {field("client_secret", "Client secret", "Stored encrypted, never shown again.", true)}
        {field("webhook_secret_token", "Secret token", "From the app's Feature page (event subscription). Stored encrypted.", true)}
      </ActionForm>
      {update && saved && <p role="status">Zoom accepted the new credentials; they replace the old ones.</p>}
    </details>
  );
}

function ZoomState({ zoom }: { zoom: Status }) {
  if (!zoom.connected) return <p data-testid="zoom-status">Not connected.</p>;
  return (
    <>
      <p data-testid="zoom-status">
        <strong>Connected</strong> with {KIND[zoom.kind ?? ""] ?? zoom.kind}
        {zoom.account_id && <> to the Zoom account {zoom.account_id}</>}, since {when(zoom.connected_at)}.
      </p>
      {zoom.needs_reauthorization && (
        <p role="alert">Zoom refused this connection's token: reconnect Zoom to keep recordings arriving.</p>
      )}
      <dl className="facts">
        {zoom.webhook_url && (
          <>
            <dt>Event notification endpoint URL</dt>
            <dd>
              <code data-testid="zoom-webhook-url">{zoom.webhook_url}</code> (paste it into your Server-to-Server app's event
              subscription)
            </dd>
          </>
        )}
        <dt>Last import</dt>
        <dd>{zoom.last_import_at ? when(zoom.last_import_at) : "none yet"}</dd>
        {zoom.last_failure && (
          <>
            <dt>Last failure</dt>
            <dd>
              {zoom.last_failure} ({when(zoom.last_failure_at)})
            </dd>
          </>
        )}
      </dl>
    </>
  );
}

const IMPORT_STATUS: Record<string, string> = { pending: "Importing", imported: "Imported", failed: "Failed" };

function ZoomImports() {
  const pages = useInfiniteQuery({
    queryKey: [...ZOOM_KEY, "imports"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/integrations/zoom/imports", { params: { query: { limit: IMPORTS_PAGE, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <h3>Recordings from Zoom</h3>
      {pages.isError && <p role="alert">{pages.error.message}</p>}
      {pages.isSuccess && items.length === 0 && <p className="muted">No recording yet: they appear here when Zoom announces them.</p>}
      {items.length > 0 && (
        <ItemTable
          columns={["Meeting", "Status", "Call or reason", "Attempts", "Announced"]}
          items={items}
          cells={(item) => [
            item.title ?? "(no topic)",
            <span key="status" className={`badge badge-${item.status === "imported" ? "scored" : item.status}`}>
              {IMPORT_STATUS[item.status] ?? item.status}
            </span>,
            item.call_id ? (
              <Link key="call" to={`/calls/${encodeURIComponent(item.call_id)}`}>
                Open the call{item.title ? ` ${item.title}` : ""}
              </Link>
            ) : (
              (item.error ?? "–")
            ),
            item.attempts,
            when(item.created_at),
          ]}
        />
      )}
      <MorePages pages={pages} label="More recordings" />
    </>
  );
}
