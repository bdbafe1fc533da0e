// One call: the player, the timeline with its markers, the transcript following the
// audio, what score found, and the two corrections a user makes (who is the rep) or
// the call's deletion.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import {
  metricsOf,
  participantsOf,
  trackersOf,
  utterancesOf,
  type CallOut,
  type Feedback,
  type Role,
  type ScorecardResult,
} from "../api/call";
import { useMe } from "../auth/session";
import { canReview } from "../call/comments";
import { Comments } from "../call/Comments";
import { Coaching, Metrics, Scorecard } from "../call/Insights";
import { Player } from "../call/Player";
import { ReviewPanel } from "../call/ReviewPanel";
import { Timeline, type Marker } from "../call/Timeline";
import { Transcript } from "../call/Transcript";
import { usePlayer } from "../call/usePlayer";
import { Missing } from "../components/ActionForm";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { StatusBadge } from "../components/StatusBadge";
import { AddToPlaylist } from "../library/AddToPlaylist";
import { clipOf, usePlayClip, type Clip } from "../library/clip";
import { clock, when } from "../lib/time";
import { indexWords, speakerName, utteranceAt, wordAt } from "../lib/transcript";

const DONE = ["scored", "failed"];

export function useCall(id: string) {
  return useQuery({
    queryKey: ["call", id],
    queryFn: () => unwrap(api.GET("/v1/calls/{call_id}", { params: { path: { call_id: id } } })),
    refetchInterval: (q) => (q.state.data && DONE.includes(q.state.data.status) ? false : 2000),
  });
}

export function markersOf(call: CallOut): Marker[] {
  const markers: Marker[] = [];
  for (const tracker of trackersOf(call))
    for (const hit of tracker.hits) markers.push({ time: hit.time, kind: "tracker", label: tracker.name, quote: hit.quote });
  const scorecard = call.scorecard as ScorecardResult | null;
  for (const item of scorecard?.items ?? [])
    for (const e of item.evidence)
      if (e.kind === "quote" && e.time != null) markers.push({ time: e.time, kind: "evidence", label: item.question, quote: e.quote ?? "" });
  return markers.sort((a, b) => a.time - b.time);
}

export function CallPage() {
  const { id = "" } = useParams();
  const [search] = useSearchParams();
  const call = useCall(id);
  if (call.isPending) return <p role="status">Loading the call…</p>;
  if (call.isError)
    return <Missing title="Call not found" error={call.error.message} back="Back to calls" to="/calls" />;
  return <CallView call={call.data} full={search.get("transcript") === "full"} clip={clipOf(search)} />;
}

function CallView({ call, full, clip }: { call: CallOut; full: boolean; clip: Clip | null }) {
  const player = usePlayer();
  usePlayClip(player, clip);
  const [follow, setFollow] = useState(true);
  const utterances = useMemo(() => utterancesOf(call), [call]);
  const index = useMemo(() => indexWords(utterances), [utterances]);
  const people = participantsOf(call);
  const speakers = useMemo(() => {
    const seen = new Map<number, Role | null>();
    for (const u of utterances) if (!seen.has(u.speaker)) seen.set(u.speaker, u.role);
    return [...seen].sort(([a], [b]) => a - b).map(([speaker, role]) => ({ speaker, role, name: speakerName(speaker, role, people) }));
  }, [utterances, people]);
  const names = useMemo(() => new Map(speakers.map((s) => [s.speaker, s.name])), [speakers]);
  const markers = useMemo(() => markersOf(call), [call]);
  const metrics = useMemo(() => metricsOf(call), [call]);
  const active = wordAt(index, player.time);
  const current = utteranceAt(utterances, player.time);
  const duration = call.duration ?? 0;
  const me = useMe().data;

  return (
    <article className="call">
      <div className="page-head">
        <div>
          <h1>{call.title || "Untitled call"}</h1>
          <p className="meta">
            <StatusBadge status={call.status} /> {when(call.created_at)} · {clock(duration)} ·{" "}
            {people.map((p) => `${p.name || p.email} (${p.role})`).join(", ") || "no participants named"}
          </p>
        </div>
        <DeleteCall id={call.id} />
      </div>
      {call.status === "failed" && (
        <p role="alert" className="form-error">
          Processing failed{call.failure?.reason ? `: ${call.failure.reason}` : "."}
        </p>
      )}
      {!DONE.includes(call.status) && (
        <p role="status" className="notice">
          This call is still being processed ({call.status === "transcribed" ? "scoring" : call.status}); this page updates by itself.
        </p>
      )}
      <Player src={`/v1/calls/${encodeURIComponent(call.id)}/audio`} player={player} duration={duration} />
      {clip && (
        <p role="status" className="notice">
          Playing the clip {clock(clip.start)}–{clock(clip.end)}.
        </p>
      )}
      {utterances.length > 0 && (
        <Timeline utterances={utterances} duration={duration} speakers={speakers} markers={markers} time={player.time} seek={player.seek} />
      )}
      <div className="columns">
        <section className="card transcript-card" aria-labelledby="transcript-title">
          <div className="section-head">
            <h2 id="transcript-title">Transcript</h2>
            <label className="inline">
              <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow the audio
            </label>
          </div>
          {utterances.length ? (
            <Transcript utterances={utterances} names={names} active={active} current={current} follow={follow} seek={player.seek} full={full} />
          ) : (
            <p className="muted">No transcript yet.</p>
          )}
        </section>
        <div className="side">
          {DONE.includes(call.status) && <Comments id={call.id} time={player.time} seek={player.seek} />}
          {call.metrics && <Metrics metrics={metrics} />}
          {speakers.length > 0 && <RolesForm id={call.id} speakers={speakers} />}
          <AddToPlaylist callId={call.id} time={player.time} duration={duration} />
        </div>
      </div>
      {call.scorecard && <Scorecard scorecard={call.scorecard as unknown as ScorecardResult} seek={player.seek} />}
      {call.scorecard && canReview(me?.role, me?.id, call.uploader_id) && (
        <ReviewPanel id={call.id} scorecard={call.scorecard as unknown as ScorecardResult} />
      )}
      {call.feedback && <Coaching feedback={call.feedback as unknown as Feedback} seek={player.seek} />}
    </article>
  );
}

function RolesForm({ id, speakers }: { id: string; speakers: { speaker: number; name: string; role: Role | null }[] }) {
  const client = useQueryClient();
  const [roles, setRoles] = useState<Record<string, Role>>(() =>
    Object.fromEntries(speakers.map((s) => [String(s.speaker), s.role ?? "customer"])),
  );
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function save() {
    setBusy(true);
    setMessage(undefined);
    try {
      await unwrap(api.PUT("/v1/calls/{call_id}/roles", { params: { path: { call_id: id } }, body: { roles } }));
      setMessage("Saved. The call is being scored again.");
      await client.invalidateQueries({ queryKey: ["call", id] });
    } catch (error) {
      setMessage(error instanceof Error ? error.message : "Could not save the roles.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="card" aria-labelledby="roles-title">
      <h2 id="roles-title">Who is the rep?</h2>
      <p className="hint">Wrong speaker marked as the rep? Correct it and the call is scored again.</p>
      {speakers.map((s) => (
        <div className="field inline-field" key={s.speaker}>
          <label htmlFor={`role-${s.speaker}`}>Speaker {s.speaker + 1}</label>
          <select
            id={`role-${s.speaker}`}
            value={roles[String(s.speaker)]}
            onChange={(e) => setRoles((r) => ({ ...r, [String(s.speaker)]: e.target.value as Role }))}
          >
            <option value="rep">Rep</option>
            <option value="customer">Customer</option>
          </select>
        </div>
      ))}
      <button type="button" onClick={save} disabled={busy}>
        Save roles
      </button>
      {message && <p role="status">{message}</p>}
    </section>
  );
}

function DeleteCall({ id }: { id: string }) {
  const [error, setError] = useState<string>();
  const navigate = useNavigate();
  const client = useQueryClient();
  async function remove() {
    try {
      await unwrap(api.DELETE("/v1/calls/{call_id}", { params: { path: { call_id: id } } }));
      client.removeQueries({ queryKey: ["call", id] });
      await client.invalidateQueries({ queryKey: ["calls"] });
      navigate("/calls", { state: { notice: "The call is being deleted everywhere." } });
    } catch (err) {
      setError(err instanceof Error ? err.message : "Could not delete the call.");
    }
  }
  return (
    <div>
      <ConfirmDialog
        label="Delete call"
        question="Delete this call, its recording and transcript for good?"
        confirmLabel="Yes, delete it"
        name="Confirm deletion"
        onConfirm={remove}
      />
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
