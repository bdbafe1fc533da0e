// Scorecards: the methodology calls are scored against (MEDDIC, BANT or the team's own).
// An admin copies a template, edits its questions and weights, adds questions that a
// phrase or a tracker answers, and saves; past calls scored with it can be re-scored,
// with the progress shown.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { ActionForm } from "../components/ActionForm";
import { Field, FormError } from "../components/Field";
import { TableHead } from "../components/TableHead";
import { useFormAction } from "../lib/useFormAction";
import { phraseList } from "./TrackersSettings";
import { RescoreProgress, useRescore } from "./RescoreProgress";

type Job = Schemas["RescoreJobOut"];
export type Item = Schemas["ScorecardItem"];
interface Scorecard {
  id: string;
  name: string;
  methodology: string;
  version: number;
  active: boolean;
  items: Item[];
}
interface ScorecardList {
  items: Scorecard[];
  active_scorecard_id: string | null;
}

/** "Did the rep ask about budget?" → "did-the-rep-ask-about-budget", unique among `taken`. */
export function itemKey(question: string, taken: readonly string[]): string {
  const base =
    question
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "item";
  let key = base;
  for (let n = 2; taken.includes(key); n++) key = `${base}-${n}`;
  return key;
}

export function ScorecardsSettings() {
  const cards = useQuery({
    queryKey: ["scorecards"],
    queryFn: async () => (await unwrap(api.GET("/v1/scorecards"))) as unknown as ScorecardList,
  });
  const [template, setTemplate] = useState("meddic");
  const [editing, setEditing] = useState<string | null>(null);
  const action = useFormAction(["scorecards"]);
  const progress = useRescore();
  const list = cards.data?.items ?? [];
  const create = action.submit(async () => {
    const made = (await unwrap(
      api.POST("/v1/scorecards", { body: { template, activate: true } }),
    )) as unknown as Scorecard;
    setEditing(made.id);
  });
  const card = list.find((c) => c.id === editing);
  return (
    <div className="card">
      <h2>Scorecards</h2>
      <p>The questions every call is scored against. A new scorecard is used for the calls scored from then on.</p>
      <ActionForm action={action} onSubmit={create} button="Create scorecard">
        <div className="field">
          <label htmlFor="scorecard-template">Start from</label>
          <select id="scorecard-template" value={template} onChange={(e) => setTemplate(e.target.value)}>
            <option value="meddic">MEDDIC</option>
            <option value="bant">BANT</option>
          </select>
        </div>
      </ActionForm>
      {cards.isError && <p role="alert">{cards.error.message}</p>}
      {list.length > 0 && (
        <table>
          <TableHead columns={["Scorecard", "Questions", "Version", "In use"]} actions />
          <tbody>
            {list.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.items.length}</td>
                <td>{c.version}</td>
                <td>{c.active ? "Yes" : "No"}</td>
                <td>
                  <button type="button" className="secondary small" onClick={() => setEditing(c.id)}>
                    Edit {c.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RescoreProgress job={progress.job} />
      {card && <ScorecardEditor key={`${card.id}-${card.version}`} card={card} onRescore={progress.show} />}
    </div>
  );
}

function ScorecardEditor({ card, onRescore }: { card: Scorecard; onRescore: (job: Job) => void }) {
  const [name, setName] = useState(card.name);
  const [items, setItems] = useState<Item[]>(card.items);
  const [question, setQuestion] = useState("");
  const [phrases, setPhrases] = useState("");
  const [rescore, setRescore] = useState(true);
  const action = useFormAction(["scorecards"], ["name", "items"]);
  const set = (index: number, change: Partial<Item>) =>
    setItems((all) => all.map((item, i) => (i === index ? { ...item, ...change } : item)));

  function addQuestion() {
    const wanted = phraseList(phrases);
    if (!question.trim() || wanted.length === 0) {
      action.setErrors({ fields: { question: "Give the question and the phrases that answer it." } });
      return;
    }
    const key = itemKey(question, items.map((i) => i.key));
    setItems((all) => [...all, { key, question: question.trim(), weight: 1, max_points: 1, cues: [{ type: "phrase", phrases: wanted, said_by: "any", points: 1 }] }]);
    setQuestion("");
    setPhrases("");
    action.setErrors({ fields: {} });
  }
  const save = action.submit(async () => {
    const saved = (await unwrap(
      api.PUT("/v1/scorecards/{item_id}", {
        params: { path: { item_id: card.id }, query: { rescore } },
        body: { name: name.trim(), items },
      }),
    )) as unknown as { rescore: Job | null };
    if (saved.rescore) onRescore(saved.rescore);
  });
  return (
    <form className="editor" onSubmit={save} noValidate aria-label={`Edit ${card.name}`}>
      <h3>Edit {card.name}</h3>
      <Field label="Scorecard name" value={name} onValue={setName} error={action.errors.fields.name} />
      <table>
        <TableHead columns={["Question", "Weight"]} actions />
        <tbody>
          {items.map((item, index) => (
            <tr key={item.key}>
              <td>
                <input
                  aria-label={`Question ${index + 1}`}
                  value={item.question}
                  onChange={(e) => set(index, { question: e.target.value })}
                />
              </td>
              <td>
                <input
                  aria-label={`Weight of question ${index + 1}`}
                  type="number"
                  min={0.1}
                  step={0.5}
                  value={item.weight}
                  onChange={(e) => set(index, { weight: Number(e.target.value) })}
                />
              </td>
              <td>
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => setItems((all) => all.filter((_, i) => i !== index))}
                >
                  Remove question {index + 1}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="filters">
        <Field label="New question" value={question} onValue={setQuestion} error={action.errors.fields.question} />
        <Field label="Answered when someone says" hint="Phrases, separated by commas" value={phrases} onValue={setPhrases} />
        <button type="button" className="secondary" onClick={addQuestion}>
          Add question
        </button>
      </div>
      <FormError message={action.errors.fields.items ?? action.errors.general} />
      <label className="inline">
        <input type="checkbox" checked={rescore} onChange={(e) => setRescore(e.target.checked)} /> Re-score past calls scored
        with it
      </label>
      <button type="submit" disabled={action.busy}>
        Save scorecard
      </button>
    </form>
  );
}
