// A settings form: its fields in a row, the submit button (disabled while the request
// runs), and the error that belongs to no field under it.
import type { FormEvent, ReactNode } from "react";
import { FormError } from "./Field";
import type { FormAction } from "../lib/useFormAction";

export function ActionForm(props: {
  action: FormAction;
  onSubmit: (e: FormEvent) => void;
  button: string;
  label?: string;
  children: ReactNode;
}) {
  return (
    <>
      <form className="filters" onSubmit={props.onSubmit} noValidate aria-label={props.label}>
        {props.children}
        <button type="submit" disabled={props.action.busy}>
          {props.button}
        </button>
      </form>
      <FormError message={props.action.errors.general} />
    </>
  );
}

/** What a page shows when the thing it opens is not there (or not the caller's). */
export function Missing({ title, error, back, to }: { title: string; error: string; back: string; to: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p role="alert">{error}</p>
      <a href={to}>{back}</a>
    </section>
  );
}
