// What score made of the call: metrics beside their recommended ranges, the scorecard
// with its evidence, and the coaching feedback. Every quote with a time seeks there.
import { memo } from "react";
import type { Evidence, Feedback, MetricValue, ScorecardResult } from "../api/call";
import { clock } from "../lib/time";

const METRIC_NAMES: Record<string, string> = {
  talk_ratio_rep: "Rep talk ratio",
  talk_ratio_customer: "Customer talk ratio",
  longest_monologue_s: "Longest monologue",
  longest_customer_story_s: "Longest customer story",
  interactivity: "Interactivity",
  patience_s: "Patience",
  rep_questions: "Rep questions",
  customer_questions: "Customer questions",
  rep_questions_per_hour: "Rep questions per hour",
  customer_questions_per_hour: "Customer questions per hour",
  filler_words_per_minute: "Filler words",
  speaking_pace_wpm: "Speaking pace",
  silence_share: "Silence",
};

function show(value: number | null, unit: string): string {
  if (value == null) return "–";
  if (unit === "ratio") return `${Math.round(value * 100)} %`;
  if (unit === "s") return value >= 60 ? clock(value) : `${value.toFixed(1)} s`;
  const rounded = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return unit === "questions" ? rounded : `${rounded} ${unit}`;
}

function range(m: MetricValue): string {
  const lo = m.recommended_min;
  const hi = m.recommended_max;
  if (lo != null && hi != null) return `${show(lo, m.unit)} – ${show(hi, m.unit)}`;
  if (lo != null) return `at least ${show(lo, m.unit)}`;
  if (hi != null) return `at most ${show(hi, m.unit)}`;
  return "–";
}

export const Metrics = memo(function Metrics({ metrics }: { metrics: Record<string, MetricValue> }) {
  const rows = Object.entries(metrics);
  if (!rows.length) return null;
  return (
    <section className="card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <table className="metrics">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">This call</th>
            <th scope="col">Recommended</th>
            <th scope="col">In range</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, m]) => (
            <tr key={name}>
              <th scope="row" title={m.basis}>
                {METRIC_NAMES[name] ?? name}
              </th>
              <td>{show(m.value, m.unit)}</td>
              <td>{range(m)}</td>
              <td>
                {m.in_range == null ? (
                  <span className="muted">n/a</span>
                ) : m.in_range ? (
                  <span className="ok">✓ In range</span>
                ) : (
                  <span className="out">✗ Out of range</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
});

export function EvidenceList({ evidence, seek }: { evidence: Evidence[]; seek: (t: number) => void }) {
  const quotes = evidence.filter((e) => e.kind === "quote" && e.quote);
  const other = evidence.filter((e) => e.kind !== "quote");
  if (!quotes.length && !other.length) return null;
  return (
    <ul className="evidence">
      {quotes.map((e, i) => (
        <li key={i}>
          <blockquote>“{e.quote}”</blockquote>
          {e.time != null && (
            <button type="button" className="link" onClick={() => seek(e.time!)}>
              Play at {clock(e.time)}
            </button>
          )}
        </li>
      ))}
      {other.map((e, i) => (
        <li key={`o${i}`} className="muted">
          {e.kind === "metric" && `${METRIC_NAMES[e.metric ?? ""] ?? e.metric}: ${show(e.value ?? null, e.unit ?? "")}`}
          {e.kind === "tracker" && `Tracker: ${e.tracker}`}
          {e.kind === "scorecard" && `Scorecard: ${e.question ?? e.item}`}
        </li>
      ))}
    </ul>
  );
}

export const Scorecard = memo(function Scorecard({ scorecard, seek }: { scorecard: ScorecardResult; seek: (t: number) => void }) {
  return (
    <section className="card" aria-labelledby="scorecard-title">
      <h2 id="scorecard-title">
        Scorecard: {scorecard.name} <span className="score">{Math.round(scorecard.overall)} / 100</span>
        {scorecard.reviewed && (
          <span className="badge reviewed" title="a manager overrode items of the automatic score">
            Reviewed (automatic {Math.round(scorecard.automatic_overall ?? 0)})
          </span>
        )}
      </h2>
      <ol className="items">
        {scorecard.items.map((item) => (
          <li key={item.key}>
            <div className="item-head">
              <span>{item.question}</span>
              <span className={`item-score ${item.status}`}>
                {Math.round(item.score * 100)} % · {item.override ? `overridden (automatic ${Math.round((item.automatic_score ?? 0) * 100)} %)` : item.status.replace(/_/g, " ")}
              </span>
            </div>
            <EvidenceList evidence={item.evidence} seek={seek} />
          </li>
        ))}
      </ol>
    </section>
  );
});

export const Coaching = memo(function Coaching({ feedback, seek }: { feedback: Feedback; seek: (t: number) => void }) {
  const parts: [string, typeof feedback.strengths][] = [
    ["Strengths", feedback.strengths],
    ["To improve", feedback.improvements],
    ["Next steps", feedback.next_steps],
  ];
  return (
    <section className="card" aria-labelledby="coaching-title">
      <h2 id="coaching-title">Coaching</h2>
      {parts.map(([title, points]) =>
        points.length ? (
          <div key={title}>
            <h3>{title}</h3>
            <ul className="feedback">
              {points.map((p, i) => (
                <li key={i}>
                  <p>{p.text}</p>
                  <EvidenceList evidence={p.evidence} seek={seek} />
                </li>
              ))}
            </ul>
          </div>
        ) : null,
      )}
    </section>
  );
});
