// Finding the word being spoken at a time, fast enough to run on every animation frame
// of a 60-minute call (~9,000 words): a binary search over word start times.
import type { Utterance } from "../api/call";

export interface WordRef {
  utterance: number;
  word: number;
  start: number;
  end: number;
}

export interface WordIndex {
  refs: WordRef[];
}

export function indexWords(utterances: Utterance[]): WordIndex {
  const refs: WordRef[] = [];
  utterances.forEach((u, ui) =>
    u.words.forEach((w, wi) => refs.push({ utterance: ui, word: wi, start: w.start, end: w.end })),
  );
  refs.sort((a, b) => a.start - b.start || a.utterance - b.utterance || a.word - b.word);
  return { refs };
}

/** Index of the last item starting at or before `time` (items sorted by start), or -1. */
function lastStartedBy(items: readonly { start: number }[], time: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.start <= time) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The word whose [start, end) holds `time`, else null (a pause, or before the first word). */
export function wordAt(index: WordIndex, time: number): WordRef | null {
  const ref = index.refs[lastStartedBy(index.refs, time)];
  return ref && time < ref.end ? ref : null;
}

/** The utterance holding `time`, or the last one started before it (for following along). */
export function utteranceAt(utterances: Utterance[], time: number): number {
  return lastStartedBy(utterances, time);
}

/** A speaker's display name: the participant with the speaker's role, else "Speaker N". */
export function speakerName(
  speaker: number,
  role: string | null,
  participants: { name?: string | null; email?: string | null; role: string }[],
): string {
  const person = participants.find((p) => p.role === role);
  return person?.name || person?.email || `Speaker ${speaker + 1}`;
}
