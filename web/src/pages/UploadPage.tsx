// Upload: pick or drop a recording, name the call and its people, watch the bytes go
// (XHR progress), then watch the call move through the pipeline without reloading.
import { useQuery } from "@tanstack/react-query";
import { useId, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";
import type { CallStatus } from "../api/call";
import { uploadCall } from "../api/upload";
import { useMe } from "../auth/session";
import { FormError } from "../components/Field";
import { formErrors } from "../lib/fieldErrors";
import { languageOptions, type UploadLanguage } from "../lib/languages";

const LANGUAGES = languageOptions();

interface Person {
  name: string;
  email: string;
  role: "rep" | "customer";
}

const STEPS: { status: CallStatus; label: string }[] = [
  { status: "uploaded", label: "Uploaded" },
  { status: "transcribing", label: "Transcribing" },
  { status: "transcribed", label: "Transcribed" },
  { status: "scoring", label: "Scoring" },
  { status: "scored", label: "Scored" },
];
const ORDER: CallStatus[] = ["uploaded", "transcribing", "transcribed", "scoring", "scored"];

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function UploadPage() {
  const me = useMe();
  const inputId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [title, setTitle] = useState("");
  const [language, setLanguage] = useState<UploadLanguage>("auto");
  const [people, setPeople] = useState<Person[]>(() => [
    { name: me.data?.name ?? "", email: me.data?.email ?? "", role: "rep" },
    { name: "", email: "", role: "customer" },
  ]);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [fileError, setFileError] = useState<string | undefined>();
  const [peopleError, setPeopleError] = useState<string | undefined>();
  const [languageError, setLanguageError] = useState<string | undefined>();
  const [callId, setCallId] = useState<string | null>(null);

  function choose(files: FileList | null) {
    const picked = files?.[0];
    if (!picked) return;
    setFile(picked);
    setFileError(undefined);
    if (!title) setTitle(picked.name.replace(/\.[^.]+$/, ""));
  }
  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    choose(e.dataTransfer.files);
  }
  function setPerson(i: number, patch: Partial<Person>) {
    setPeople((all) => all.map((p, n) => (n === i ? { ...p, ...patch } : p)));
  }
  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setFileError("Choose a recording to upload.");
      return;
    }
    setError(undefined);
    setFileError(undefined);
    setPeopleError(undefined);
    setLanguageError(undefined);
    setProgress({ sent: 0, total: file.size });
    const participants = people
      .filter((p) => p.name.trim() || p.email.trim())
      .map((p) => ({
        role: p.role,
        ...(p.name.trim() ? { name: p.name.trim() } : {}),
        ...(p.email.trim() ? { email: p.email.trim() } : {}),
      }));
    try {
      const accepted = await uploadCall({ file, title, language, participants }, (sent, total) =>
        setProgress({ sent, total }),
      ).done;
      setCallId(accepted.id);
    } catch (err) {
      const found = formErrors(err, ["file", "participants", "language"]);
      setFileError(found.fields.file);
      setLanguageError(found.fields.language);
      setPeopleError(found.fields.participants);
      setError(found.general);
      setProgress(null);
    }
  }

  if (callId) return <UploadedCall id={callId} onAnother={() => { setCallId(null); setFile(null); setTitle(""); setProgress(null); }} />;

  const busy = progress !== null;
  return (
    <section>
      <h1>Upload a call</h1>
      <form onSubmit={onSubmit} noValidate className="card">
        <div
          className={`dropzone${dragging ? " dragging" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>Drop a recording here (audio or video, up to 500 MB), or</p>
          <label htmlFor={inputId} className="button secondary">
            Choose a file
          </label>
          <input
            ref={fileInput}
            id={inputId}
            className="visually-hidden"
            type="file"
            accept="audio/*,video/*"
            aria-describedby={fileError ? `${inputId}-error` : undefined}
            onChange={(e) => choose(e.target.files)}
          />
          {file && (
            <p className="chosen">
              {file.name} · {megabytes(file.size)}
            </p>
          )}
          {fileError && (
            <p className="field-error" id={`${inputId}-error`}>
              {fileError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="call-title">Title</label>
          <input id="call-title" value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="call-language">Language</label>
          <select
            id="call-language"
            value={language}
            aria-describedby={languageError ? "call-language-error" : "call-language-hint"}
            onChange={(e) => setLanguage(e.target.value as UploadLanguage)}
          >
            <option value="auto">Detect automatically</option>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code}>
                {l.name}
              </option>
            ))}
          </select>
          {languageError ? (
            <p className="field-error" id="call-language-error">
              {languageError}
            </p>
          ) : (
            <p className="hint" id="call-language-hint">
              Set it when you know it: detection can be misled by a greeting in another language.
            </p>
          )}
        </div>
        <fieldset aria-describedby={peopleError ? "participants-error" : undefined}>
          <legend>Participants</legend>
          {peopleError && (
            <p className="field-error" id="participants-error">
              {peopleError}
            </p>
          )}
          {people.map((p, i) => (
            <div className="person" key={i}>
              <div className="field">
                <label htmlFor={`p${i}-name`}>Name</label>
                <input id={`p${i}-name`} value={p.name} onChange={(e) => setPerson(i, { name: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor={`p${i}-email`}>Email</label>
                <input id={`p${i}-email`} type="email" value={p.email} onChange={(e) => setPerson(i, { email: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor={`p${i}-role`}>Role</label>
                <select id={`p${i}-role`} value={p.role} onChange={(e) => setPerson(i, { role: e.target.value as Person["role"] })}>
                  <option value="rep">Rep</option>
                  <option value="customer">Customer</option>
                </select>
              </div>
              <button
                type="button"
                className="secondary small"
                aria-label={`Remove participant ${i + 1}`}
                onClick={() => setPeople((all) => all.filter((_, n) => n !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="secondary"
            onClick={() => setPeople((all) => [...all, { name: "", email: "", role: "customer" }])}
          >
            Add participant
          </button>
        </fieldset>
        <FormError message={error} />
        {progress && (
          <div className="progress">
            <label htmlFor="upload-progress">Sending the recording</label>
            <progress id="upload-progress" max={progress.total || 1} value={progress.sent} />
            <span aria-live="polite">
              {megabytes(progress.sent)} of {megabytes(progress.total)}
            </span>
          </div>
        )}
        <button type="submit" disabled={busy}>
          Upload
        </button>
      </form>
    </section>
  );
}

/** The call after its upload: its status, polled until it is scored or failed. */
function UploadedCall({ id, onAnother }: { id: string; onAnother: () => void }) {
  const call = useQuery({
    queryKey: ["call", id],
    queryFn: () => unwrap(api.GET("/v1/calls/{call_id}", { params: { path: { call_id: id } } })),
    refetchInterval: (q) => (q.state.data && ["scored", "failed"].includes(q.state.data.status) ? false : 1500),
  });
  const status = call.data?.status ?? "uploaded";
  const reached = ORDER.indexOf(status);
  return (
    <section>
      <h1>Upload complete</h1>
      <div className="card">
        <p>
          <strong>{call.data?.title || "Your call"}</strong> is being processed. This page follows it; you can also
          leave and come back.
        </p>
        <ol className="steps" aria-label="Processing status">
          {STEPS.map((step, n) => {
            const state = status === "failed" ? "" : n < reached || status === "scored" ? "done" : n === reached ? "current" : "";
            return (
              <li key={step.status} className={state} aria-current={state === "current" ? "step" : undefined}>
                {step.label}
              </li>
            );
          })}
        </ol>
        <p role="status" aria-live="polite" data-testid="call-status">
          Status: {status}
          {status === "transcribing" && call.data?.progress_percent != null ? ` (${call.data.progress_percent}%)` : ""}
        </p>
        {status === "failed" && (
          <p role="alert" className="form-error">
            Processing failed{call.data?.failure?.reason ? `: ${call.data.failure.reason}` : "."}
          </p>
        )}
        {status === "scored" && (
          <Link className="button" to={`/calls/${id}`}>
            Open the call
          </Link>
        )}
        <button type="button" className="secondary" onClick={onAnother}>
          Upload another
        </button>
      </div>
    </section>
  );
}
