// What happened to you: calls scored or failed, and comments that mention you (each one
// opens its call; opening marks it read).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { clock, when } from "../lib/time";

type Notification = Schemas["NotificationOut"];

export function describe(n: Notification): string {
  const data = n.data as Record<string, unknown>;
  if (n.kind === "mentioned") return `You were mentioned in a comment at ${clock(Number(data.at_seconds ?? 0))}`;
  if (n.kind === "call_scored") return `Your call was scored: ${Math.round(Number(data.overall_score ?? 0))} / 100`;
  if (n.kind === "call_failed") return `Your call could not be processed (${String(data.code ?? "error")})`;
  return n.kind.replace(/_/g, " ");
}

export function useNotifications() {
  return useQuery({ queryKey: ["notifications"], queryFn: async () => (await unwrap(api.GET("/v1/notifications", {}))).items, refetchInterval: 15000 });
}

export function NotificationsPage() {
  const client = useQueryClient();
  const notes = useNotifications();
  async function read(id: string) {
    await api.POST("/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } });
    await client.invalidateQueries({ queryKey: ["notifications"] });
  }
  return (
    <section>
      <h1>Notifications</h1>
      {notes.isPending && <p role="status">Loading…</p>}
      {notes.isError && <p role="alert">{notes.error.message}</p>}
      {notes.data?.length === 0 && <p className="muted">Nothing new.</p>}
      <ul className="notifications">
        {notes.data?.map((n) => (
          <li key={n.id} className={n.read_at ? "read" : "unread"}>
            {n.call_id ? (
              <Link to={`/calls/${encodeURIComponent(n.call_id)}`} onClick={() => void read(n.id)}>
                {describe(n)}
              </Link>
            ) : (
              describe(n)
            )}{" "}
            <span className="muted">{when(n.created_at)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
