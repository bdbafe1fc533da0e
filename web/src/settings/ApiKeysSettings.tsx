// API keys: a new key is shown once, right after it is made (the gateway keeps only its
// hash); afterwards only its name and prefix are listed.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { allOf } from "../api/lists";
import { ActionForm } from "../components/ActionForm";
import { Field } from "../components/Field";
import { useFormAction } from "../lib/useFormAction";
import { ItemTable } from "../components/ItemTable";
import { ShownOnce } from "../components/ShownOnce";
import { when } from "../lib/time";

export function ApiKeysSettings() {
  const keys = useQuery({
    queryKey: ["api-keys"],
    queryFn: () => allOf("/v1/api-keys"),
  });
  const [name, setName] = useState("");
  const [created, setCreated] = useState<Schemas["ApiKeyCreatedOut"] | null>(null);
  const action = useFormAction(["api-keys"], ["name"]);
  const { errors } = action;

  const create = action.submit(async () => {
    setCreated(await unwrap(api.POST("/v1/api-keys", { body: { name: name.trim() } })));
    setName("");
  });
  const revoke = (id: string) =>
    action.run(async () => {
      await unwrap(api.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: id } } }));
      if (created?.id === id) setCreated(null);
    }, []);
  const active = (keys.data ?? []).filter((k) => !k.revoked_at);
  return (
    <div className="card">
      <h2>API keys</h2>
      <p>A key acts with its role for the developer API (<code>Authorization: Bearer …</code>).</p>
      <ActionForm action={action} onSubmit={create} button="Create key">
        <Field label="Key name" value={name} onValue={setName} error={errors.fields.name} />
      </ActionForm>
      {created && (
        <ShownOnce label="API key" secret={created.key} testId="new-api-key">
          <p>
            Your new key <strong>{created.name}</strong>. Store it now: it is not shown again.
          </p>
        </ShownOnce>
      )}
      {keys.isError && <p role="alert">{keys.error.message}</p>}
      {active.length === 0 ? (
        <p className="muted">No API keys.</p>
      ) : (
        <ItemTable
          columns={["Name", "Key", "Role", "Created", "Last used"]}
          items={active}
          cells={(k) => [k.name, <code key="prefix">{k.prefix}…</code>, k.role, when(k.created_at), k.last_used_at ? when(k.last_used_at) : "never"]}
          action={(k) => ({ label: `Revoke ${k.name}`, onClick: () => revoke(k.id) })}
        />
      )}
    </div>
  );
}
