// Coaching comments as the API shapes them: a body is text and mentions in order, a
// mention names a member by id (the picker adds it), never an "@" parsed from text.
import type { Schemas } from "../api/client";

export type Thread = Schemas["ThreadOut"];
export type CommentOut = Schemas["CommentOut"];
export type Person = Schemas["PersonOut"];
export type Review = Schemas["ReviewOut"];
export type SegmentIn = Schemas["TextSegmentIn"] | Schemas["MentionSegmentIn"];

/** The draft's text, then one mention segment per picked person (each once). */
export function bodyOf(text: string, mentions: string[]): { segments: SegmentIn[] } {
  const segments: SegmentIn[] = [];
  if (text.trim()) segments.push({ type: "text", text: text.trim() });
  for (const id of [...new Set(mentions)]) {
    segments.push({ type: "text", text: " " });
    segments.push({ type: "mention", user_id: id });
  }
  if (segments[0]?.type === "text" && segments[0].text === " ") segments.shift();
  return { segments };
}

/** A comment's words, with "@Name" for each mention ("@removed user" once erased). */
export function textOf(comment: Pick<CommentOut, "body" | "deleted">): string {
  if (comment.deleted) return "Comment removed";
  return comment.body.segments
    .map((s) => (s.type === "mention" ? `@${s.name ?? (s.user_id ? "member" : "removed user")}` : (s.text ?? "")))
    .join("");
}

/** Whether the reviewer may override this call's scorecard (never their own call). */
export function canReview(role: string | undefined, userId: string | undefined, uploaderId: string | null | undefined): boolean {
  return ["owner", "admin", "manager"].includes(role ?? "") && !!userId && userId !== uploaderId;
}

export const ITEM_SCORES: [number, string][] = [
  [1, "Met"],
  [0.5, "Partly met"],
  [0, "Not met"],
];
