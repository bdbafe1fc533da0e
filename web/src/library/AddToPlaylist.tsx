// "Add to playlist" on the call page: the whole call, or the clip from the player's
// current time (start and end editable), into one of the organization's playlists.
import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";
import { Field, FormError } from "../components/Field";
import { useFormAction } from "../lib/useFormAction";
import { usePlaylists } from "./LibraryPage";

const CLIP_SECONDS = 30;
const round = (s: number) => Math.round(s * 10) / 10;

export function AddToPlaylist({ callId, time, duration }: { callId: string; time: number; duration: number }) {
  const playlists = usePlaylists();
  const [playlist, setPlaylist] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [added, setAdded] = useState<string>();
  const action = useFormAction(["playlists"], ["start", "end", "call_id"]);
  const list = (playlists.data?.items ?? []).filter((p) => p.can_edit);
  const chosen = playlist || list[0]?.id || "";

  function fromPlayer() {
    setStart(String(round(time)));
    setEnd(String(round(Math.min(duration, time + CLIP_SECONDS))));
  }
  async function add(clip: boolean) {
    setAdded(undefined);
    const body = clip ? { call_id: callId, start: Number(start), end: Number(end) } : { call_id: callId };
    const done = await action.run(() =>
      unwrap(api.POST("/v1/playlists/{playlist_id}/items", { params: { path: { playlist_id: chosen } }, body })),
    );
    if (done) setAdded(`Added to ${list.find((p) => p.id === chosen)?.title ?? "the playlist"}.`);
  }
  return (
    <section className="card" aria-labelledby="playlist-title">
      <h2 id="playlist-title">Add to playlist</h2>
      {playlists.isSuccess && list.length === 0 ? (
        <p className="muted">
          No playlist of yours yet: make one in the <Link to="/library">library</Link>.
        </p>
      ) : (
        <>
          <div className="field">
            <label htmlFor="playlist-choice">Playlist</label>
            <select id="playlist-choice" value={chosen} onChange={(e) => setPlaylist(e.target.value)}>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="secondary small" onClick={fromPlayer}>
            Clip from the player's time
          </button>
          <div className="filters">
            <Field label="Clip start (s)" type="number" min={0} step={0.1} value={start} onValue={setStart} error={action.errors.fields.start} />
            <Field label="Clip end (s)" type="number" min={0} step={0.1} value={end} onValue={setEnd} error={action.errors.fields.end} />
          </div>
          <div className="actions">
            <button type="button" disabled={action.busy || !chosen || !start || !end} onClick={() => add(true)}>
              Add clip
            </button>
            <button type="button" className="secondary" disabled={action.busy || !chosen} onClick={() => add(false)}>
              Add whole call
            </button>
          </div>
        </>
      )}
      <FormError message={action.errors.general} />
      {added && <p role="status">{added}</p>}
    </section>
  );
}
