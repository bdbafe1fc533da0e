// The audio player: the browser's own controls (ranged requests, keyboard, screen
// readers) plus large buttons and shortcuts when focus is inside the player:
// Space or K play/pause, ← / → five seconds back / forward.
import type { KeyboardEvent } from "react";
import { clock } from "../lib/time";
import type { Player as PlayerState } from "./usePlayer";

const SPEEDS = [0.75, 1, 1.25, 1.5, 2];

export function Player({ src, player, duration }: { src: string; player: PlayerState; duration: number }) {
  const audio = () => player.ref.current;
  function toggle() {
    const a = audio();
    if (!a) return;
    if (a.paused) void a.play().catch(() => undefined);
    else a.pause();
  }
  function onKeyDown(e: KeyboardEvent) {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === "SELECT" || tag === "AUDIO") return;
    if (e.key === " " || e.key === "k") {
      if (tag === "BUTTON" && e.key === " ") return; // the button's own click
      e.preventDefault();
      toggle();
    } else if (e.key === "ArrowLeft") {
      e.preventDefault();
      player.seek(player.time - 5);
    } else if (e.key === "ArrowRight") {
      e.preventDefault();
      player.seek(player.time + 5);
    }
  }
  return (
    <section className="player card" aria-label="Player" onKeyDown={onKeyDown}>
      <audio ref={player.ref} src={src} controls preload="metadata" aria-label="Call recording" />
      <div className="player-buttons">
        <button type="button" onClick={() => player.seek(player.time - 5)}>
          Back 5 s
        </button>
        <button type="button" onClick={toggle} className="play">
          {player.playing ? "Pause" : "Play"}
        </button>
        <button type="button" onClick={() => player.seek(player.time + 5)}>
          Forward 5 s
        </button>
        <span className="clock" aria-live="off">
          <span data-testid="player-time">{clock(player.time)}</span> / {clock(duration)}
        </span>
        <label className="speed">
          Speed{" "}
          <select
            defaultValue="1"
            onChange={(e) => {
              const a = audio();
              if (a) a.playbackRate = Number(e.target.value);
            }}
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="hint">Keys inside the player: Space or K to play and pause, ← and → to skip 5 seconds.</p>
    </section>
  );
}
