// API keys: a new key is shown once, right after it is made (the gateway keeps only its
// hash); afterwards only its name and prefix are listed.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { itemsOf, type ListOf } from "../api/lists";
import { Field, FormError } from "../components/Field";
import { formErrors, type FormErrors } from "../lib/fieldErrors";
import { TableHead } from "../components/TableHead";
import { when } from "../lib/time";

export function ApiKeysSettings() {
  const client = useQueryClient();
  const keys = useQuery({
    queryKey: ["api-keys"],
    queryFn: async () => itemsOf(await unwrap(api.GET("/v1/api-keys")) as ListOf<Schemas["ApiKeyOut"]>),
  });
  const [name, setName] = useState("");
  const [created, setCreated] = useState<Schemas["ApiKeyCreatedOut"] | null>(null);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      setCreated(await unwrap(api.POST("/v1/api-keys", { body: { name: name.trim() } })));
      setErrors({ fields: {} });
      setName("");
      await client.invalidateQueries({ queryKey: ["api-keys"] });
    } catch (err) {
      setErrors(formErrors(err, ["name"]));
    } finally {
      setBusy(false);
    }
  }
  async function revoke(id: string) {
    try {
      await unwrap(api.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: id } } }));
      if (created?.id === id) setCreated(null);
      await client.invalidateQueries({ queryKey: ["api-keys"] });
    } catch (err) {
      setErrors(formErrors(err, []));
    }
  }
  const active = (keys.data ?? []).filter((k) => !k.revoked_at);
  return (
    <div className="card">
      <h2>API keys</h2>
      <p>A key acts with its role for the developer API (<code>Authorization: Bearer …</code>).</p>
      <form className="filters" onSubmit={create} noValidate>
        <Field label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
        <button type="submit" disabled={busy}>
          Create key
        </button>
      </form>
      <FormError message={errors.general} />
      {created && (
        <div className="flash" role="status">
          <p>
            Your new key <strong>{created.name}</strong>. Store it now: it is not shown again.
          </p>
          <code className="secret" data-testid="new-api-key">
            {created.key}
          </code>
        </div>
      )}
      {keys.isError && <p role="alert">{keys.error.message}</p>}
      {active.length === 0 ? (
        <p className="muted">No API keys.</p>
      ) : (
        <table>
          <TableHead columns={["Name", "Key", "Role", "Created", "Last used"]} actions />
          <tbody>
            {active.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>{when(k.created_at)}</td>
                <td>{k.last_used_at ? when(k.last_used_at) : "never"}</td>
                <td>
                  <button type="button" className="secondary small" onClick={() => revoke(k.id)}>
                    Revoke {k.name}
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
