// The transcript, virtualized: only the utterances in view (plus a few) are in the DOM,
// so a 60-minute call (~1,000 utterances, ~9,000 words) scrolls and highlights as
// smoothly as a short one. `full` renders every row (the benchmark's baseline).
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useRef } from "react";
import type { Utterance } from "../api/call";
import { clock } from "../lib/time";
import type { WordRef } from "../lib/transcript";

interface Props {
  utterances: Utterance[];
  names: Map<number, string>;
  active: WordRef | null;
  current: number;
  follow: boolean;
  seek: (seconds: number) => void;
  full?: boolean;
}

const Row = memo(function Row({
  utterance,
  name,
  activeWord,
  seek,
}: {
  utterance: Utterance;
  name: string;
  activeWord: number;
  seek: (seconds: number) => void;
}) {
  return (
    <div className={`utterance ${utterance.role ?? ""}`}>
      <div className="who">
        <button
          type="button"
          className="link time"
          onClick={() => seek(utterance.start)}
          aria-label={`Play from ${clock(utterance.start)} (${name})`}
        >
          {clock(utterance.start)}
        </button>{" "}
        <strong>{name}</strong>
        {utterance.role && <span className="role"> · {utterance.role}</span>}
      </div>
      <p>
        {utterance.words.length
          ? utterance.words.map((w, i) => (
              <span
                key={i}
                className={i === activeWord ? "word active" : "word"}
                aria-current={i === activeWord ? "true" : undefined}
                data-start={w.start}
                onClick={() => seek(w.start)}
              >
                {w.word}{" "}
              </span>
            ))
          : utterance.text}
      </p>
    </div>
  );
});

export function Transcript({ utterances, names, active, current, follow, seek, full }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: utterances.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 88,
    overscan: 6,
  });
  useEffect(() => {
    if (follow && current >= 0 && !full) virtualizer.scrollToIndex(current, { align: "center" });
  }, [follow, current, full, virtualizer]);

  const row = (i: number) => {
    const u = utterances[i]!;
    return (
      <Row
        utterance={u}
        name={names.get(u.speaker) ?? `Speaker ${u.speaker + 1}`}
        activeWord={active?.utterance === i ? active.word : -1}
        seek={seek}
      />
    );
  };

  return (
    <div className="transcript" ref={scroller} tabIndex={0} aria-label="Transcript" role="region">
      {full ? (
        utterances.map((_, i) => <div key={i}>{row(i)}</div>)
      ) : (
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="vrow"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {row(item.index)}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
