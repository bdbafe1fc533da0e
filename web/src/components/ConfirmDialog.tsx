// A destructive action behind a second click: the button, then the question with
// "Yes, …" and a way back. One component for every confirm box of the app.
import { useState } from "react";

interface ConfirmDialogProps {
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
  if (!confirming)
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  return (
    <div className="confirm" role="group" aria-label={name}>
      <p>{question}</p>
      <button type="button" className="danger" disabled={busy} onClick={() => onConfirm()}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </div>
  );
}
