// The privacy center: every user exports, restricts, objects to or erases their own
// data; owners, admins and compliance officers make the same requests about anyone in the
// organization; the owner deletes the whole account (30 days to restore it). Each request
// opens on its own page, where the services' acknowledgements arrive.
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import {
  KIND_LABEL,
  makeRequest,
  REQUEST_STATUS_LABEL,
  settled,
  subjectLabel,
  type RequestKind,
  type Subject,
} from "../api/privacy";
import { useMe, type Me } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/Field";
import { Options } from "../components/Options";
import { formErrors, type FormErrors } from "../lib/fieldErrors";
import { TableHead } from "../components/TableHead";
import { when } from "../lib/time";
import { AccountDeletion } from "./AccountDeletion";

const OFFICERS = new Set(["owner", "admin", "compliance"]);

export function PrivacyPage() {
  const me = useMe().data;
  if (!me) return null;
  const deleted = Boolean(me.organization.deletion_requested_at);
  return (
    <section>
      <h1>Privacy center</h1>
      {me.role === "owner" && <AccountDeletion me={me} />}
      {!deleted && (
        <>
          <YourData me={me} />
          {OFFICERS.has(me.role) && <AboutSomeone />}
          <RequestList me={me} />
        </>
      )}
    </section>
  );
}

type Choice = { kind: RequestKind; restricted?: boolean; objected?: boolean };

/** Runs a request and opens its page; errors come back for the form to show. */
function useSend(): [(subject: Subject, choice: Choice, includeAudio?: boolean) => Promise<FormErrors | null>, boolean] {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  async function send(subject: Subject, choice: Choice, includeAudio = false) {
    setBusy(true);
    try {
      const made = await makeRequest(choice.kind, subject, { ...choice, include_audio: includeAudio });
      navigate(`/privacy/requests/${encodeURIComponent(made.id)}`);
      return null;
    } catch (e) {
      return formErrors(e, ["subject"]);
    } finally {
      setBusy(false);
    }
  }
  return [send, busy];
}

/** The switches a user flips about themselves: on, then off. */
const SELF_TOGGLES: (Choice & { label: string })[][] = [
  [
    { label: "Restrict processing of my data", kind: "restriction", restricted: true },
    { label: "Lift the restriction", kind: "restriction", restricted: false },
  ],
  [
    { label: "Object to analytics about me", kind: "objection", objected: true },
    { label: "Withdraw my objection", kind: "objection", objected: false },
  ],
];

function YourData({ me }: { me: Me }) {
  const [send, busy] = useSend();
  const [audio, setAudio] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const self: Subject = { type: "user", id: me.id };
  async function run(choice: Choice, includeAudio = false) {
    setError((await send(self, choice, includeAudio))?.general);
  }
  return (
    <div className="card">
      <h2>Your data</h2>
      <p>What Clashtor holds about you, {me.name}: your account and the calls you own.</p>
      <div className="actions">
        <label className="inline">
          <input type="checkbox" checked={audio} onChange={(e) => setAudio(e.target.checked)} /> Include the recordings
        </label>
        <button type="button" disabled={busy} onClick={() => run({ kind: "export" }, audio)}>
          Export my data
        </button>
      </div>
      {SELF_TOGGLES.map((pair) => (
        <div className="actions" key={pair[0]?.kind}>
          {pair.map(({ label, ...choice }) => (
            <button key={label} type="button" className="secondary" disabled={busy} onClick={() => run(choice)}>
              {label}
            </button>
          ))}
        </div>
      ))}
      <ConfirmDialog
        label="Erase my data"
        question="This erases your account and every call you own, for good. It cannot be undone."
        confirmLabel="Yes, erase my data"
        name="Confirm erasure"
        busy={busy}
        onConfirm={() => run({ kind: "erasure" })}
      />
      <FormError message={error} />
    </div>
  );
}

const ACTIONS: Record<string, Choice & { label: string }> = {
  export: { label: "Export their data", kind: "export" },
  erasure: { label: "Erase their data", kind: "erasure" },
  restrict: { label: "Restrict processing", kind: "restriction", restricted: true },
  unrestrict: { label: "Lift a restriction", kind: "restriction", restricted: false },
  object: { label: "Record an objection to analytics", kind: "objection", objected: true },
  unobject: { label: "Withdraw an objection", kind: "objection", objected: false },
};
const SUBJECTS = {
  participant: "A call participant (by email)",
  user: "A member (by email)",
  call: "One call (by id)",
  organization: "The whole organization",
} as const;
type SubjectType = keyof typeof SUBJECTS;

function subjectOf(type: SubjectType, value: string): Subject {
  if (type === "organization") return { type };
  if (type === "call") return { type, id: value };
  return { type, email: value };
}

/** Officers: a request about anyone in the organization. */
function AboutSomeone() {
  const [send, busy] = useSend();
  const [action, setAction] = useState("erasure");
  const [type, setType] = useState<SubjectType>("participant");
  const [value, setValue] = useState("");
  const [audio, setAudio] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const choice = ACTIONS[action]!;
  const needsValue = type !== "organization";

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (needsValue && !value.trim()) {
      setErrors({ fields: { subject: type === "call" ? "Enter the call's id." : "Enter an email address." } });
      return;
    }
    if (choice.kind === "erasure" && !confirming) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setErrors((await send(subjectOf(type, value.trim()), choice, audio)) ?? { fields: {} });
  }
  const error = errors.fields.subject;
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>A request about someone</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor="pr-action">Request</label>
          <select id="pr-action" value={action} onChange={(e) => (setAction(e.target.value), setConfirming(false))}>
            <Options choices={Object.fromEntries(Object.entries(ACTIONS).map(([key, a]) => [key, a.label]))} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="pr-type">About</label>
          <select id="pr-type" value={type} onChange={(e) => (setType(e.target.value as SubjectType), setConfirming(false))}>
            <Options choices={SUBJECTS} />
          </select>
        </div>
        {needsValue && (
          <div className="field">
            <label htmlFor="pr-value">{type === "call" ? "Call id" : "Email"}</label>
            <input
              id="pr-value"
              type={type === "call" ? "text" : "email"}
              value={value}
              onChange={(e) => (setValue(e.target.value), setConfirming(false))}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? "pr-value-error" : undefined}
            />
            {error && (
              <p className="field-error" id="pr-value-error">
                {error}
              </p>
            )}
          </div>
        )}
        {choice.kind === "export" && (
          <label className="inline">
            <input type="checkbox" checked={audio} onChange={(e) => setAudio(e.target.checked)} /> Include the recordings
          </label>
        )}
      </div>
      {confirming && (
        <p className="confirm" role="alert">
          Erasing is final: every store of every service forgets {type === "organization" ? "the organization" : value}, and every
          call they took part in. Press “Yes, erase” to go on.
        </p>
      )}
      <button type="submit" className={choice.kind === "erasure" ? "danger" : undefined} disabled={busy}>
        {confirming ? "Yes, erase" : "Send request"}
      </button>
      <FormError message={errors.general} />
    </form>
  );
}

function RequestList({ me }: { me: Me }) {
  const requests = useQuery({
    queryKey: ["privacy-requests"],
    queryFn: () => unwrap(api.GET("/v1/privacy/requests", { params: { query: { limit: 50 } } })),
    refetchInterval: (q) => (q.state.data?.items.every(settled) ?? true ? false : 3000),
  });
  return (
    <div className="card">
      <h2>{OFFICERS.has(me.role) ? "Requests in your organization" : "Your requests"}</h2>
      {requests.isPending && <p role="status">Loading requests…</p>}
      {requests.isError && <p role="alert">{requests.error.message}</p>}
      {requests.data && requests.data.items.length === 0 && <p className="muted">No requests yet.</p>}
      {requests.data && requests.data.items.length > 0 && (
        <table>
          <TableHead columns={["Request", "About", "Status", "Asked"]} />
          <tbody>
            {requests.data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/privacy/requests/${encodeURIComponent(r.id)}`}>{KIND_LABEL[r.kind] ?? r.kind}</Link>
                </td>
                <td>{subjectLabel(r, me.id)}</td>
                <td>
                  <span className={`badge badge-req-${r.status}`}>{REQUEST_STATUS_LABEL[r.status] ?? r.status}</span>
                </td>
                <td>{when(r.created_at as string | null | undefined)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
