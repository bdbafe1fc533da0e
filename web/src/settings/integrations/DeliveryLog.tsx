// One webhook's delivery log, newest first, a cursor page at a time: each delivery's event,
// state, attempts with their response codes, and when it is tried next; "Redeliver" sends
// one again now (the same webhook-id, so a receiver can tell it has seen it). The log
// refreshes by itself while it is open: attempts happen in the background.
import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { FormError } from "../../components/Field";
import { ItemTable } from "../../components/ItemTable";
import { MorePages } from "../../components/MorePages";
import { when } from "../../lib/time";
import { useFormAction } from "../../lib/useFormAction";

const PAGE = 20;
const REFRESH_MS = 3000;
const STATE: Record<Schemas["Delivery"]["status"], string> = { pending: "Retrying", delivered: "Delivered", failed: "Given up" };

/** "200", "503", or the error when the receiver did not answer. */
export function response(attempt: Schemas["DeliveryAttempt"] | undefined): string {
  if (!attempt) return "not sent yet";
  return attempt.status_code != null ? String(attempt.status_code) : (attempt.error ?? "no answer");
}

export function DeliveryLog({ webhookId, url }: { webhookId: string; url: string }) {
  const key = ["integrations", "webhooks", webhookId, "deliveries"];
  const pages = useInfiniteQuery({
    queryKey: key,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/webhooks/{webhook_id}/deliveries", {
          params: { path: { webhook_id: webhookId }, query: { limit: PAGE, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: REFRESH_MS,
  });
  const action = useFormAction(key);
  const redeliver = (id: string) =>
    action.run(() =>
      unwrap(
        api.POST("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { webhook_id: webhookId, delivery_id: id } },
        }),
      ),
    );
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-label={`Deliveries to ${url}`} className="delivery-log">
      <h4>Deliveries</h4>
      {pages.isPending && <p role="status">Loading deliveries…</p>}
      {pages.isError && <p role="alert">{pages.error.message}</p>}
      {pages.isSuccess && items.length === 0 && <p className="muted">Nothing sent yet: deliveries appear here when a subscribed event happens.</p>}
      <FormError message={action.errors.general} />
      {items.length > 0 && (
        <ItemTable
          columns={["Event", "State", "Attempts", "Response", "Sent", "Next retry", "Webhook id"]}
          items={items}
          cells={(d) => [
            d.event_type,
            STATE[d.status] ?? d.status,
            <Attempts key="attempts" delivery={d} />,
            <span key="response" data-testid="delivery-response">
              {response(d.log[d.log.length - 1])}
            </span>,
            when(d.created_at),
            d.next_attempt_at ? when(d.next_attempt_at) : "–",
            <code key="id">{d.id}</code>,
          ]}
          action={(d) => ({ label: "Redeliver", name: `Redeliver ${d.event_type} ${d.id}`, disabled: action.busy, onClick: () => redeliver(d.id) })}
        />
      )}
      <MorePages pages={pages} label="Older deliveries" />
    </section>
  );
}

function Attempts({ delivery }: { delivery: Schemas["Delivery"] }) {
  if (delivery.log.length === 0) return <>{delivery.attempts}</>;
  return (
    <details>
      <summary>{delivery.attempts}</summary>
      <ol className="attempts">
        {delivery.log.map((a, n) => (
          <li key={n}>
            {when(a.at)}: {response(a)} in {a.duration_ms} ms{a.manual ? " (by hand)" : ""}
          </li>
        ))}
      </ol>
    </details>
  );
}
