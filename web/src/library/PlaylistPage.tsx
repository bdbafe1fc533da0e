// One playlist: its calls and clips in order, each opening the call page at the clip;
// its creator (and managers, admins, owners) rename it, reorder, remove items or delete it.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { Missing } from "../components/ActionForm";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field, FormError } from "../components/Field";
import { MorePages } from "../components/MorePages";
import { clock } from "../lib/time";
import { useFormAction } from "../lib/useFormAction";
import { clipLink } from "./clip";

type Item = Schemas["PlaylistItemOut"];

/** The ids in a new order: `id` moved one place up (-1) or down (+1). */
export function moved(ids: string[], id: string, by: -1 | 1): string[] {
  const at = ids.indexOf(id);
  const to = at + by;
  if (at < 0 || to < 0 || to >= ids.length) return ids;
  const out = [...ids];
  [out[at], out[to]] = [out[to]!, out[at]!];
  return out;
}

export function PlaylistPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const path = { params: { path: { playlist_id: id } } };
  const playlist = useQuery({ queryKey: ["playlists", id], queryFn: () => unwrap(api.GET("/v1/playlists/{playlist_id}", path)) });
  const items = useInfiniteQuery({
    queryKey: ["playlists", id, "items"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/playlists/{playlist_id}/items", { params: { path: { playlist_id: id }, query: { limit: 200, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const action = useFormAction(["playlists"], ["title", "item_ids"]);
  const [title, setTitle] = useState<string>();
  if (playlist.isPending) return <p role="status">Loading the playlist…</p>;
  if (playlist.isError)
    return <Missing title="Playlist not found" error={playlist.error.message} back="Back to the library" to="/library" />;
  const p = playlist.data;
  const list: Item[] = items.data?.pages.flatMap((page) => page.items) ?? [];
  const ids = list.map((i) => i.id);
  const rename = action.submit(() => unwrap(api.PATCH("/v1/playlists/{playlist_id}", { ...path, body: { title: (title ?? p.title).trim() } })));
  const reorder = (order: string[]) => action.run(() => unwrap(api.PUT("/v1/playlists/{playlist_id}/order", { ...path, body: { item_ids: order } })));
  const remove = (itemId: string) =>
    action.run(() => unwrap(api.DELETE("/v1/playlists/{playlist_id}/items/{item_id}", { params: { path: { playlist_id: id, item_id: itemId } } })));
  const destroy = async () => {
    if ((await action.run(() => unwrap(api.DELETE("/v1/playlists/{playlist_id}", path)).then(() => true))) === true) navigate("/library");
  };
  return (
    <section>
      <div className="page-head">
        <h1>{p.title}</h1>
        {p.can_edit && (
          <ConfirmDialog
            label="Delete playlist"
            question={`Delete the playlist ${p.title}? The calls stay where they are.`}
            confirmLabel="Yes, delete the playlist"
            name="Confirm playlist deletion"
            busy={action.busy}
            onConfirm={destroy}
          />
        )}
      </div>
      <p className="meta">
        {p.item_count} calls and clips · shared with everyone in the organization
      </p>
      {p.can_edit && (
        <form className="filters" onSubmit={rename} noValidate aria-label="Rename playlist">
          <Field label="Playlist title" value={title ?? p.title} onValue={setTitle} error={action.errors.fields.title} />
          <button type="submit" className="secondary" disabled={action.busy}>
            Rename
          </button>
        </form>
      )}
      <FormError message={action.errors.general ?? action.errors.fields.item_ids} />
      {items.isSuccess && list.length === 0 && <p className="muted">Empty: add calls or clips from a call's page.</p>}
      <ol className="playlist">
        {list.map((item, n) => (
          <li key={item.id}>
            {item.call ? (
              <Link to={clipLink(item.call_id, item)}>
                {item.call.title || "Untitled call"}
                {item.start != null && item.end != null ? ` (${clock(item.start)}–${clock(item.end)})` : " (whole call)"}
              </Link>
            ) : (
              <span className="muted">A call you may not open</span>
            )}
            {p.can_edit && (
              <span className="actions">
                <button type="button" className="secondary small" disabled={n === 0 || action.busy} onClick={() => reorder(moved(ids, item.id, -1))}>
                  Move item {n + 1} up
                </button>
                <button
                  type="button"
                  className="secondary small"
                  disabled={n === list.length - 1 || action.busy}
                  onClick={() => reorder(moved(ids, item.id, 1))}
                >
                  Move item {n + 1} down
                </button>
                <button type="button" className="secondary small" disabled={action.busy} onClick={() => remove(item.id)}>
                  Remove item {n + 1}
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      <MorePages pages={items} label="More items" />
    </section>
  );
}
