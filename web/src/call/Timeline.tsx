// Who spoke when, one lane per speaker, with tracker hits and scorecard evidence as
// markers that seek the audio. Segments are decoration (the transcript says the same
// in words); the markers are real buttons, named for screen readers.
import { memo } from "react";
import type { Utterance } from "../api/call";
import { clock } from "../lib/time";

export interface Marker {
  time: number;
  kind: "tracker" | "evidence";
  label: string;
  quote: string;
}

interface Props {
  utterances: Utterance[];
  duration: number;
  speakers: { speaker: number; name: string; role: string | null }[];
  markers: Marker[];
  time: number;
  seek: (seconds: number) => void;
}

const pct = (t: number, duration: number) => `${Math.min(100, Math.max(0, (t / duration) * 100))}%`;

/** One speaker's segments: the same while the audio plays, so rendered once (a 60-minute
call has ~1,000 of them; only the playhead moves on every frame). */
const Segments = memo(function Segments({ utterances, speaker, length }: { utterances: Utterance[]; speaker: number; length: number }) {
  return (
    <>
      {utterances
        .filter((u) => u.speaker === speaker)
        .map((u, i) => (
          <span
            key={i}
            className={`segment ${u.role ?? "unknown"}`}
            style={{ left: pct(u.start, length), width: pct(u.end - u.start, length) }}
          />
        ))}
    </>
  );
});

const Markers = memo(function Markers({ markers, length, seek }: { markers: Marker[]; length: number; seek: (s: number) => void }) {
  return (
    <>
      {markers.map((m, i) => (
        <button
          type="button"
          key={i}
          className={`marker ${m.kind}`}
          style={{ left: pct(m.time, length) }}
          aria-label={`${m.label} at ${clock(m.time)}: ${m.quote}`}
          title={`${m.label} at ${clock(m.time)}: “${m.quote}”`}
          data-time={m.time}
          onClick={() => seek(m.time)}
        />
      ))}
    </>
  );
});

export function Timeline({ utterances, duration, speakers, markers, time, seek }: Props) {
  const length = duration > 0 ? duration : Math.max(1, ...utterances.map((u) => u.end));
  return (
    <section className="card timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <div className="lanes">
        {speakers.map((s) => (
          <div className="lane" key={s.speaker}>
            <span className="lane-name">
              {s.name}
              {s.role ? ` (${s.role})` : ""}
            </span>
            <div
              className="track"
              aria-hidden="true"
              onClick={(e) => {
                const box = e.currentTarget.getBoundingClientRect();
                seek(((e.clientX - box.left) / box.width) * length);
              }}
            >
              <Segments utterances={utterances} speaker={s.speaker} length={length} />
              <span className="playhead" style={{ left: pct(time, length) }} />
            </div>
          </div>
        ))}
        <div className="lane">
          <span className="lane-name">Moments</span>
          <div className="track markers">
            <Markers markers={markers} length={length} seek={seek} />
          </div>
        </div>
      </div>
      <p className="legend">
        <span className="swatch rep" aria-hidden="true" /> rep <span className="swatch customer" aria-hidden="true" /> customer{" "}
        <span className="swatch tracker" aria-hidden="true" /> tracker hit <span className="swatch evidence" aria-hidden="true" /> scorecard
        evidence
      </p>
    </section>
  );
}
