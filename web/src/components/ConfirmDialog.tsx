// A destructive action behind a second click: the button, then the question with
// "Yes, …" and a way back. One component for every confirm box of the app.
// Keyboard: opening it moves focus to the safe choice ("Keep it"), Escape closes it, and
// closing puts focus back on the button that opened it.
import { useEffect, useRef, useState } from "react";

export interface ConfirmDialogProps {
  /** The first button ("Delete the account"). */
  label: string;
  /** What the second step asks, in full. */
  question: string;
  /** The button that does it ("Yes, delete the account"). */
  confirmLabel: string;
  /** The group's accessible name ("Confirm account deletion"). */
  name: string;
  busy?: boolean;
  onConfirm: () => unknown;
}

export function ConfirmDialog({ label, question, confirmLabel, name, busy, onConfirm }: ConfirmDialogProps) {
  const [confirming, setConfirming] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const safe = useRef<HTMLButtonElement>(null);
  const moved = useRef(false);
  useEffect(() => {
    if (confirming) {
      moved.current = true;
      safe.current?.focus();
    } else if (moved.current) opener.current?.focus();
  }, [confirming]);
  if (!confirming)
    return (
      <button type="button" className="danger" ref={opener} onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  return (
    <div
      className="confirm"
      role="group"
      aria-label={name}
      onKeyDown={(e) => {
        if (e.key === "Escape") setConfirming(false);
      }}
    >
      <p>{question}</p>
      <button type="button" className="danger" disabled={busy} onClick={() => onConfirm()}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" ref={safe} onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </div>
  );
}
