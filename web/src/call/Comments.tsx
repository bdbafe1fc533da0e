// Comments pinned to moments of the call: a "comment at 0:42" form at the player's
// moment (a click on the timeline or a transcript line moves it there), the threads
// beside the transcript (a click on one seeks the player), replies, and an @mention
// picker of the members who may see the call.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { allItems, PAGE_LIMIT } from "../api/lists";
import { clock } from "../lib/time";
import { bodyOf, textOf, type CommentOut, type Person, type Thread } from "./comments";

const path = (id: string) => ({ params: { path: { call_id: id } } });

export function useComments(id: string) {
  return useQuery({
    queryKey: ["comments", id],
    queryFn: () => unwrap(api.GET("/v1/calls/{call_id}/comments", { params: { path: { call_id: id }, query: { limit: 200 } } })),
  });
}

function usePeople(id: string) {
  return useQuery({ queryKey: ["mentionable", id], queryFn: () =>
      allItems((cursor) =>
        unwrap(api.GET("/v1/calls/{call_id}/mentionable", { params: { path: { call_id: id }, query: { limit: PAGE_LIMIT, cursor } } })),
      ),
  });
}

function Draft({ id, people, at, parentId, label, done }: { id: string; people: Person[]; at?: number; parentId?: string; label: string; done: () => void }) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const [mentions, setMentions] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const inputId = `draft-${parentId ?? "new"}`;
  async function send(e: React.FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/calls/{call_id}/comments", {
          ...path(id),
          body: { body: bodyOf(text, mentions), ...(parentId ? { parent_id: parentId } : { at_seconds: at ?? 0 }) },
        }),
      );
      setText("");
      setMentions([]);
      await client.invalidateQueries({ queryKey: ["comments", id] });
      done();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return (
    <form className="comment-form" onSubmit={send}>
      <label htmlFor={inputId}>{label}</label>
      <textarea id={inputId} value={text} onChange={(e) => setText(e.target.value)} rows={2} />
      <label>
        Mention{" "}
        <select
          aria-label="Mention a member"
          value=""
          onChange={(e) => e.target.value && setMentions((m) => [...new Set([...m, e.target.value])])}
        >
          <option value="">@ someone…</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.role})
            </option>
          ))}
        </select>
      </label>
      {mentions.length > 0 && (
        <p className="mentions">
          {mentions.map((m) => (
            <button type="button" key={m} className="chip" onClick={() => setMentions((all) => all.filter((x) => x !== m))} aria-label={`Remove mention of ${people.find((p) => p.id === m)?.name ?? m}`}>
              @{people.find((p) => p.id === m)?.name ?? m} ×
            </button>
          ))}
        </p>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={!text.trim() && mentions.length === 0}>
        Post
      </button>
    </form>
  );
}

function CommentLine({ comment, seek }: { comment: CommentOut; seek: (t: number) => void }) {
  return (
    <div className="comment">
      <button type="button" className="link comment-seek" onClick={() => seek(comment.at_seconds)}>
        <span className="visually-hidden">Play from </span>
        <span className="time">{clock(comment.at_seconds)}</span> <strong>{comment.deleted ? "" : (comment.author_name ?? "Removed user")}</strong>: {textOf(comment)}
      </button>
    </div>
  );
}

export function Comments({ id, time, seek }: { id: string; time: number; seek: (t: number) => void }) {
  const comments = useComments(id);
  const people = usePeople(id).data ?? [];
  const [open, setOpen] = useState<number | null>(null);
  const [replyTo, setReplyTo] = useState<string | null>(null);
  const threads: Thread[] = comments.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      {open == null ? (
        <button type="button" onClick={() => setOpen(time)}>
          Comment at {clock(time)}
        </button>
      ) : (
        <Draft id={id} people={people} at={open} label={`Comment at ${clock(open)}`} done={() => setOpen(null)} />
      )}
      {comments.isError && <p role="alert">{comments.error.message}</p>}
      {threads.length === 0 && comments.isSuccess && <p className="muted">No comments yet.</p>}
      <ol className="threads">
        {threads.map((t) => (
          <li key={t.id}>
            <CommentLine comment={t} seek={seek} />
            {t.replies.length > 0 && (
              <ol className="replies">
                {t.replies.map((r) => (
                  <li key={r.id}>
                    <CommentLine comment={r} seek={seek} />
                  </li>
                ))}
              </ol>
            )}
            {replyTo === t.id ? (
              <Draft id={id} people={people} parentId={t.id} label="Reply" done={() => setReplyTo(null)} />
            ) : (
              <button type="button" className="link" onClick={() => setReplyTo(t.id)}>
                Reply
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
