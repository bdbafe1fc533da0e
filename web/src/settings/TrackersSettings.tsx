// Trackers: the phrases the score service marks on every call's timeline ("pricing",
// "competitor"). New calls are scored with the list as it is when they are scored.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { itemsOf, type ListOf } from "../api/lists";
import { Field, FormError } from "../components/Field";
import { TableHead } from "../components/TableHead";
import { formErrors, type FormErrors } from "../lib/fieldErrors";

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
  const client = useQueryClient();
  const trackers = useQuery({
    queryKey: ["trackers"],
    queryFn: async () => itemsOf((await unwrap(api.GET("/v1/trackers"))) as ListOf<Tracker>),
  });
  const [name, setName] = useState("");
  const [phrases, setPhrases] = useState("");
  const [saidBy, setSaidBy] = useState<Tracker["said_by"]>("any");
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);

  async function add(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await unwrap(api.POST("/v1/trackers", { body: { name: name.trim(), phrases: phraseList(phrases), said_by: saidBy } }));
      setErrors({ fields: {} });
      setName("");
      setPhrases("");
      await client.invalidateQueries({ queryKey: ["trackers"] });
    } catch (err) {
      setErrors(formErrors(err, ["name", "phrases"]));
    } finally {
      setBusy(false);
    }
  }
  async function remove(id: string) {
    try {
      await unwrap(api.DELETE("/v1/trackers/{item_id}", { params: { path: { item_id: id } } }));
      await client.invalidateQueries({ queryKey: ["trackers"] });
    } catch (err) {
      setErrors(formErrors(err, []));
    }
  }
  const list = trackers.data ?? [];
  return (
    <div className="card">
      <h2>Trackers</h2>
      <p>Phrases marked on the timeline of every call scored from now on.</p>
      <form className="filters" onSubmit={add} noValidate>
        <Field label="Tracker name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
        <Field
          label="Phrases"
          hint="Separated by commas"
          value={phrases}
          onChange={(e) => setPhrases(e.target.value)}
          error={errors.fields.phrases}
        />
        <div className="field">
          <label htmlFor="tracker-said-by">Said by</label>
          <select id="tracker-said-by" value={saidBy} onChange={(e) => setSaidBy(e.target.value as Tracker["said_by"])}>
            {Object.entries(SAID_BY).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Add tracker
        </button>
      </form>
      <FormError message={errors.general} />
      {trackers.isError && <p role="alert">{trackers.error.message}</p>}
      {list.length > 0 && (
        <table>
          <TableHead columns={["Tracker", "Phrases", "Said by"]} actions />
          <tbody>
            {list.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.phrases.join(", ")}</td>
                <td>{SAID_BY[t.said_by] ?? t.said_by}</td>
                <td>
                  <button type="button" className="secondary small" onClick={() => remove(t.id)}>
                    Delete {t.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
