// One data-subject request as it runs: each service's acknowledgement appears as it
// arrives (the page polls until the request settles), then the signed certificate of an
// erasure or the bundle of an export is one click away.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import {
  downloadCertificate,
  KIND_LABEL,
  REQUEST_STATUS_LABEL,
  settled,
  subjectLabel,
  type Acknowledgement,
} from "../api/privacy";
import { useMe } from "../auth/session";
import { when } from "../lib/time";

const POLL_MS = 1500;

export function PrivacyRequestPage() {
  const { id = "" } = useParams();
  const me = useMe();
  const request = useQuery({
    queryKey: ["privacy-request", id],
    queryFn: () => unwrap(api.GET("/v1/privacy/requests/{request_id}", { params: { path: { request_id: id } } })),
    refetchInterval: (q) => (settled(q.state.data) ? false : POLL_MS),
  });
  const [saving, setSaving] = useState<string | null>(null);

  if (request.isPending) return <p role="status">Loading the request…</p>;
  if (request.isError)
    return (
      <section>
        <h1>Privacy request</h1>
        <p role="alert">{request.error.message}</p>
        <Link to="/privacy">Back to the privacy center</Link>
      </section>
    );
  const r = request.data;
  const acks = r.acknowledgements ?? [];
  const done = acks.filter((a) => a.status === "completed").length;

  async function certificate() {
    setSaving(null);
    try {
      await downloadCertificate(r.id);
      setSaving("The certificate was saved.");
    } catch (e) {
      setSaving(e instanceof Error ? e.message : "The certificate could not be downloaded.");
    }
  }

  return (
    <section>
      <p>
        <Link to="/privacy">← Privacy center</Link>
      </p>
      <h1>{KIND_LABEL[r.kind] ?? r.kind} request</h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={`badge badge-req-${r.status}`} data-testid="request-status">
            {REQUEST_STATUS_LABEL[r.status] ?? r.status}
          </span>
        </dd>
        <dt>About</dt>
        <dd>{subjectLabel(r, me.data?.id)}</dd>
        <dt>Asked</dt>
        <dd>{when(r.created_at as string | null | undefined)}</dd>
        {r.completed_at && (
          <>
            <dt>Finished</dt>
            <dd>{when(r.completed_at as string)}</dd>
          </>
        )}
        {r.failure && (
          <>
            <dt>Why it failed</dt>
            <dd>{r.failure}</dd>
          </>
        )}
      </dl>

      {r.kind === "erasure" && r.status === "completed" && (
        <div className="card">
          <h2>Certificate of erasure</h2>
          <p>Signed by Clashtor: keep it as proof. It can be checked offline against the published key.</p>
          <button type="button" onClick={certificate}>
            Download the certificate
          </button>
          {saving && <p role="status">{saving}</p>}
        </div>
      )}
      {r.kind === "export" && r.status === "completed" && (
        <div className="card">
          <h2>Your export</h2>
          {r.download_url ? (
            <>
              <a className="button" href={r.download_url} download>
                Download the export (ZIP)
              </a>
              <p className="hint">The link works for you, signed in, until {when(r.download_expires_at as string)}.</p>
            </>
          ) : (
            <p>Only the person who asked for the export can download it.</p>
          )}
        </div>
      )}

      <h2 id="acks-heading">
        Services {done} of {acks.length} done
      </h2>
      <ul className="acks" aria-labelledby="acks-heading" aria-live="polite">
        {acks.map((a) => (
          <AckRow key={a.service} ack={a} />
        ))}
      </ul>
      {acks.length === 0 && <p className="muted">No service has been asked yet.</p>}
    </section>
  );
}

function AckRow({ ack }: { ack: Acknowledgement }) {
  const label = ack.status === "completed" ? "Done" : ack.status === "failed" ? "Failed" : "Waiting";
  return (
    <li className={`ack ack-${ack.status}`} data-service={ack.service}>
      <strong>{ack.service}</strong> <span className={`badge badge-req-${ack.status}`}>{label}</span>{" "}
      {ack.at && <span className="muted">{when(ack.at as string)}</span>}
    </li>
  );
}
