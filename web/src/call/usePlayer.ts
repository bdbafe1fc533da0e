// The audio element's time as React state. While playing, time is read on every
// animation frame (timeupdate fires only ~4 times a second, too coarse to highlight
// words); state changes only when the time moves by 1/20 s, so the page stays calm.
import { useCallback, useEffect, useRef, useState } from "react";

export interface Player {
  ref: React.RefObject<HTMLAudioElement | null>;
  time: number;
  playing: boolean;
  seek: (seconds: number, play?: boolean) => void;
}

export function usePlayer(): Player {
  const ref = useRef<HTMLAudioElement | null>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);

  useEffect(() => {
    const audio = ref.current;
    if (!audio) return;
    let frame = 0;
    const read = () => setTime((t) => (Math.abs(t - audio.currentTime) >= 0.05 ? audio.currentTime : t));
    const loop = () => {
      read();
      frame = requestAnimationFrame(loop);
    };
    const onPlay = () => {
      setPlaying(true);
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(loop);
    };
    const onPause = () => {
      setPlaying(false);
      cancelAnimationFrame(frame);
      read();
    };
    audio.addEventListener("play", onPlay);
    audio.addEventListener("pause", onPause);
    audio.addEventListener("ended", onPause);
    audio.addEventListener("seeked", read);
    audio.addEventListener("timeupdate", read);
    return () => {
      cancelAnimationFrame(frame);
      audio.removeEventListener("play", onPlay);
      audio.removeEventListener("pause", onPause);
      audio.removeEventListener("ended", onPause);
      audio.removeEventListener("seeked", read);
      audio.removeEventListener("timeupdate", read);
    };
  }, []);

  const seek = useCallback((seconds: number, play = false) => {
    const audio = ref.current;
    if (!audio) return;
    audio.currentTime = Math.max(0, seconds);
    setTime(audio.currentTime);
    if (play) void audio.play().catch(() => undefined);
  }, []);

  return { ref, time, playing, seek };
}
