// Trackers: the phrases the score service marks on every call's timeline ("pricing",
// "competitor"). New calls are scored with the list as it is when they are scored; a
// change can re-score past calls too, with its progress shown.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { allOf } from "../api/lists";
import { ActionForm } from "../components/ActionForm";
import { Field } from "../components/Field";
import { ItemTable } from "../components/ItemTable";
import { Options } from "../components/Options";
import { useFormAction } from "../lib/useFormAction";
import { RescoreProgress, useRescore } from "./RescoreProgress";

interface Tracker {
  id: string;
  name: string;
  phrases: string[];
  enabled: boolean;
  said_by: "any" | "rep" | "customer";
}
const SAID_BY: Record<Tracker["said_by"], string> = { any: "Anyone", rep: "The rep", customer: "The customer" };

/** "price, pricing ,  cost" → ["price", "pricing", "cost"]. */
export function phraseList(text: string): string[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}

export function TrackersSettings() {
  const trackers = useQuery({
    queryKey: ["trackers"],
    queryFn: () => allOf("/v1/trackers"),
  });
  const [name, setName] = useState("");
  const [phrases, setPhrases] = useState("");
  const [saidBy, setSaidBy] = useState<Tracker["said_by"]>("any");
  const [rescore, setRescore] = useState(true);
  const action = useFormAction(["trackers"], ["name", "phrases"]);
  const { errors } = action;
  const progress = useRescore();

  /** The change, then (when asked) past calls re-scored with the trackers as they are now. */
  async function change(work: () => Promise<unknown>) {
    await work();
    if (rescore) await progress.start();
  }
  const add = action.submit(() =>
    change(async () => {
      await unwrap(api.POST("/v1/trackers", { body: { name: name.trim(), phrases: phraseList(phrases), said_by: saidBy, enabled: true } }));
      setName("");
      setPhrases("");
    }),
  );
  const remove = (id: string) =>
    action.run(() => change(() => unwrap(api.DELETE("/v1/trackers/{item_id}", { params: { path: { item_id: id } } }))), []);
  const list = trackers.data ?? [];
  return (
    <div className="card">
      <h2>Trackers</h2>
      <p>Phrases marked on the timeline of every call: calls scored from now on, and past calls when you re-score them.</p>
      <ActionForm action={action} onSubmit={add} button="Add tracker">
        <Field label="Tracker name" value={name} onValue={setName} error={errors.fields.name} />
        <Field label="Phrases" hint="Separated by commas" value={phrases} onValue={setPhrases} error={errors.fields.phrases} />
        <div className="field">
          <label htmlFor="tracker-said-by">Said by</label>
          <select id="tracker-said-by" value={saidBy} onChange={(e) => setSaidBy(e.target.value as Tracker["said_by"])}>
            <Options choices={SAID_BY} />
          </select>
        </div>
        <label className="inline">
          <input type="checkbox" checked={rescore} onChange={(e) => setRescore(e.target.checked)} /> Re-score past calls
        </label>
      </ActionForm>
      <RescoreProgress job={progress.job} />
      {trackers.isError && <p role="alert">{trackers.error.message}</p>}
      {list.length > 0 && (
        <ItemTable
          columns={["Tracker", "Phrases", "Said by"]}
          items={list}
          cells={(t) => [t.name, t.phrases.join(", "), SAID_BY[t.said_by] ?? t.said_by]}
          action={(t) => ({ label: `Delete ${t.name}`, onClick: () => remove(t.id) })}
        />
      )}
    </div>
  );
}
