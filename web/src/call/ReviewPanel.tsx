// A manager's review of the automatic scorecard: override an item with a reason, or
// revert it; the call's score everywhere becomes the reviewed one.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import type { ScorecardResult } from "../api/call";
import { ITEM_SCORES } from "./comments";

export function ReviewPanel({ id, scorecard }: { id: string; scorecard: ScorecardResult }) {
  const client = useQueryClient();
  const [item, setItem] = useState(scorecard.items[0]?.key ?? "");
  const [score, setScore] = useState(1);
  const [reason, setReason] = useState("");
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const params = (key: string) => ({ params: { path: { call_id: id, item: key } } });
  async function run(work: () => Promise<unknown>, done: string) {
    setError(undefined);
    try {
      await work();
      setMessage(done);
      setReason("");
      await client.invalidateQueries({ queryKey: ["call", id] });
    } catch (err) {
      setError((err as Error).message);
    }
  }
  const overridden = scorecard.items.filter((i) => i.override);
  return (
    <section className="card" aria-labelledby="review-title">
      <h2 id="review-title">Review the scorecard</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => unwrap(api.PUT("/v1/calls/{call_id}/review/items/{item}", { ...params(item), body: { score, reason } })), "Override saved.");
        }}
      >
        <label>
          Item{" "}
          <select value={item} onChange={(e) => setItem(e.target.value)}>
            {scorecard.items.map((i) => (
              <option key={i.key} value={i.key}>
                {i.question}
              </option>
            ))}
          </select>
        </label>
        <label>
          Score{" "}
          <select value={score} onChange={(e) => setScore(Number(e.target.value))}>
            {ITEM_SCORES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor="review-reason">Reason</label>
        <textarea id="review-reason" value={reason} onChange={(e) => setReason(e.target.value)} rows={2} required />
        <button type="submit" disabled={!reason.trim()}>
          Override
        </button>
      </form>
      {overridden.length > 0 && (
        <ul className="overrides">
          {overridden.map((i) => (
            <li key={i.key}>
              {i.question}: {Math.round((i.override?.score ?? 0) * 100)} % (automatic {Math.round((i.automatic_score ?? 0) * 100)} %) — {i.override?.reason}{" "}
              <button type="button" className="link" onClick={() => void run(() => unwrap(api.DELETE("/v1/calls/{call_id}/review/items/{item}", params(i.key))), "Reverted.")}>
                Revert
              </button>
            </li>
          ))}
        </ul>
      )}
      {message && <p role="status">{message}</p>}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
    </section>
  );
}
