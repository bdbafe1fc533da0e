// Outbound webhooks (Standard Webhooks): subscriptions of an http(s) URL to events, each
// signed with its own whsec_ secret, which the server answers only at creation and at
// rotation, so it is shown once here with a copy button. Each subscription opens its
// delivery log, where a delivery can be sent again.
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { allOf } from "../../api/lists";
import { ActionForm } from "../../components/ActionForm";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Field, FormError } from "../../components/Field";
import { ShownOnce } from "../../components/ShownOnce";
import { when } from "../../lib/time";
import { useFormAction } from "../../lib/useFormAction";
import { DeliveryLog } from "./DeliveryLog";

export const WEBHOOKS_KEY = ["integrations", "webhooks"] as const;
type EventType = Schemas["WebhookIn"]["event_types"][number];
export const EVENTS: Record<EventType, string> = {
  "call.scored": "a call was scored",
  "call.failed": "a call failed",
  "privacy.request.completed": "an export or erasure request ended",
};

export function WebhooksIntegration() {
  const hooks = useQuery({
    queryKey: WEBHOOKS_KEY,
    queryFn: () => allOf("/v1/webhooks"),
  });
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<EventType[]>(["call.scored"]);
  const [description, setDescription] = useState("");
  const [created, setCreated] = useState<Schemas["WebhookWithSecret"] | null>(null);
  const action = useFormAction(WEBHOOKS_KEY, ["url", "event_types", "description"]);
  const { errors } = action;
  const add = action.submit(async () => {
    setCreated(null);
    setCreated(
      await unwrap(api.POST("/v1/webhooks", { body: { url: url.trim(), event_types: events, description: description.trim() } })),
    );
    setUrl("");
    setDescription("");
  });
  const toggle = (event: EventType, on: boolean) =>
    setEvents((now) => (on ? [...now.filter((e) => e !== event), event] : now.filter((e) => e !== event)));
  const list = hooks.data ?? [];
  return (
    <section className="card" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p>
        Clashtor posts each event to your URL, signed the{" "}
        <a href="https://www.standardwebhooks.com/" rel="noreferrer">
          Standard Webhooks
        </a>{" "}
        way (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>), and retries for up to three days
        until your server answers 2xx.
      </p>
      <ActionForm action={action} onSubmit={add} button="Add webhook" label="Add a webhook">
        <Field
          label="Endpoint URL"
          type="url"
          placeholder="https://example.com/clashtor"
          value={url}
          onValue={setUrl}
          error={errors.fields.url}
        />
        <EventChoice events={events} onToggle={toggle} error={errors.fields.event_types} />
        <Field label="Description" hint="Optional" value={description} onValue={setDescription} error={errors.fields.description} />
      </ActionForm>
      {created && (
        <ShownOnce label="Signing secret" secret={created.secret} testId="new-webhook-secret">
          <p>
            The signing secret of <strong>{created.url}</strong>. Store it now in your receiver: it is not shown again.
          </p>
        </ShownOnce>
      )}
      {hooks.isError && <p role="alert">{hooks.error.message}</p>}
      {hooks.isSuccess && list.length === 0 && <p className="muted">No webhook yet.</p>}
      {list.map((hook) => (
        <WebhookItem key={hook.id} hook={hook} onDeleted={() => created?.id === hook.id && setCreated(null)} />
      ))}
    </section>
  );
}

function EventChoice(props: { events: EventType[]; onToggle: (e: EventType, on: boolean) => void; error?: string | undefined }) {
  const id = useId();
  return (
    <fieldset aria-describedby={props.error ? `${id}-error` : undefined} aria-invalid={props.error ? true : undefined}>
      <legend>Events</legend>
      {(Object.keys(EVENTS) as EventType[]).map((event) => (
        <label className="inline event-choice" key={event}>
          <input type="checkbox" checked={props.events.includes(event)} onChange={(e) => props.onToggle(event, e.target.checked)} />
          <code>{event}</code> {EVENTS[event]}
        </label>
      ))}
      {props.error && (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </fieldset>
  );
}

function WebhookItem({ hook, onDeleted }: { hook: Schemas["Webhook"]; onDeleted: () => void }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [rotated, setRotated] = useState<Schemas["RotatedSecret"] | null>(null);
  const action = useFormAction(WEBHOOKS_KEY);
  const path = { params: { path: { webhook_id: hook.id } } };
  const rotate = () => action.run(async () => setRotated(await unwrap(api.POST("/v1/webhooks/{webhook_id}/rotate-secret", path))));
  const pause = () => action.run(() => unwrap(api.PATCH("/v1/webhooks/{webhook_id}", { ...path, body: { enabled: !hook.enabled } })));
  const remove = () =>
    action.run(async () => {
      await unwrap(api.DELETE("/v1/webhooks/{webhook_id}", path));
      onDeleted();
    });
  return (
    <article className="webhook" aria-labelledby={`${id}-url`}>
      <h3 id={`${id}-url`} className="webhook-url">
        {hook.url}
      </h3>
      <p className="meta">
        {hook.event_types.join(", ")}
        {hook.description && <> · {hook.description}</>}
        {hook.source === "zapier" && <> · from Zapier</>} · {hook.enabled ? "active" : "paused"} · added {when(hook.created_at)}
      </p>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          aria-expanded={open}
          aria-controls={`${id}-log`}
          onClick={() => setOpen((o) => !o)}
          aria-label={`Delivery log of ${hook.url}`}
        >
          Delivery log
        </button>
        <button type="button" className="secondary" disabled={action.busy} onClick={rotate} aria-label={`Rotate secret of ${hook.url}`}>
          Rotate secret
        </button>
        <button type="button" className="secondary" disabled={action.busy} onClick={pause} aria-label={`${hook.enabled ? "Pause" : "Resume"} ${hook.url}`}>
          {hook.enabled ? "Pause" : "Resume"}
        </button>
        <ConfirmDialog
          label="Delete webhook"
          name={`Confirm deleting the webhook ${hook.url}`}
          question="Delete this webhook? Its secret and delivery log go with it; events are no longer sent there."
          confirmLabel="Yes, delete the webhook"
          busy={action.busy}
          onConfirm={remove}
        />
      </div>
      <FormError message={action.errors.general} />
      {rotated && (
        <ShownOnce label="New signing secret" secret={rotated.secret} testId="rotated-webhook-secret">
          <p>
            The new signing secret. Until {when(rotated.previous_valid_until)} each request is signed with both the old and the new one,
            so your receiver can switch without losing an event. It is not shown again.
          </p>
        </ShownOnce>
      )}
      {open && (
        <div id={`${id}-log`}>
          <DeliveryLog webhookId={hook.id} url={hook.url} />
        </div>
      )}
    </article>
  );
}
