// A clip of a call, as the call page's address carries it: /calls/<id>?start=12.5&end=40.
import { useEffect, useRef } from "react";
import type { Player } from "../call/usePlayer";

export interface Clip {
  start: number;
  end: number;
}

/** The clip the address asks for, or null (missing, not numbers, or end before start). */
export function clipOf(search: URLSearchParams): Clip | null {
  if (!search.has("start") || !search.has("end")) return null;
  const start = Number(search.get("start"));
  const end = Number(search.get("end"));
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
  return start >= 0 && end > start ? { start, end } : null;
}

export function clipLink(callId: string, clip: { start?: number | null; end?: number | null }): string {
  const base = `/calls/${encodeURIComponent(callId)}`;
  return clip.start != null && clip.end != null ? `${base}?start=${clip.start}&end=${clip.end}` : base;
}

/** Start at the clip and stop at its end (once: the user may play on afterwards). */
export function usePlayClip(player: Player, clip: Clip | null): void {
  const stopped = useRef(false);
  const { seek, ref, time, playing } = player;
  const start = clip?.start;
  useEffect(() => {
    if (start != null) seek(start);
  }, [start, seek]);
  useEffect(() => {
    if (!clip || stopped.current || !playing || time < clip.end) return;
    stopped.current = true;
    ref.current?.pause();
  }, [clip, time, playing, ref]);
}
