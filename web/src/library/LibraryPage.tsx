// The call library: the organization's playlists of calls and clips ("best discovery
// calls"), shared with every member. Anyone may start one; a playlist opens on its page.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { ActionForm } from "../components/ActionForm";
import { Field } from "../components/Field";
import { MorePages } from "../components/MorePages";
import { ItemTable } from "../components/ItemTable";
import { useFormAction } from "../lib/useFormAction";
import { when } from "../lib/time";

/** The first page of playlists (what a picker offers). */
export function usePlaylists() {
  return useQuery({
    queryKey: ["playlists", "first"],
    queryFn: () => unwrap(api.GET("/v1/playlists", { params: { query: { limit: 100 } } })),
  });
}

export function LibraryPage() {
  const navigate = useNavigate();
  const pages = useInfiniteQuery({
    queryKey: ["playlists", "all"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET("/v1/playlists", { params: { query: { limit: 20, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const [title, setTitle] = useState("");
  const action = useFormAction(["playlists"], ["title"]);
  const create = action.submit(async () => {
    const made = await unwrap(api.POST("/v1/playlists", { body: { title: title.trim() } }));
    navigate(`/library/${encodeURIComponent(made.id)}`);
  });
  const playlists = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <h1>Library</h1>
      <ActionForm action={action} onSubmit={create} button="Create playlist" label="Create a playlist">
        <Field label="New playlist" value={title} onValue={setTitle} error={action.errors.fields.title} />
      </ActionForm>
      {pages.isPending && <p role="status">Loading the library…</p>}
      {pages.isError && <p role="alert">{pages.error.message}</p>}
      {pages.isSuccess && playlists.length === 0 && <p className="muted">No playlist yet.</p>}
      {playlists.length > 0 && (
        <ItemTable
          columns={["Playlist", "Calls and clips", "Updated"]}
          items={playlists}
          cells={(p) => [
            <Link key="title" to={`/library/${encodeURIComponent(p.id)}`}>
              {p.title}
            </Link>,
            p.item_count,
            when(p.updated_at),
          ]}
        />
      )}
      <MorePages pages={pages} label="More playlists" />
    </section>
  );
}
