// The submit logic every settings form repeated: busy while a request runs, the API's
// errors beside their fields, the affected lists refreshed when it succeeds.
import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formErrors, type FormErrors } from "./fieldErrors";

export interface FormAction {
  errors: FormErrors;
  busy: boolean;
  /** Runs `work`; on success clears the errors and refreshes the lists, on failure shows
   * the errors beside `fields` (the form's own by default). Resolves to what `work` gave. */
  run: <T>(work: () => Promise<T>, fields?: readonly string[]) => Promise<T | undefined>;
  /** A form's onSubmit that runs `work`. */
  submit: (work: () => Promise<unknown>) => (e: FormEvent) => void;
  setErrors: (errors: FormErrors) => void;
}

export function useFormAction(refresh: QueryKey, fields: readonly string[] = []): FormAction {
  const client = useQueryClient();
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  async function run<T>(work: () => Promise<T>, only: readonly string[] = fields): Promise<T | undefined> {
    setBusy(true);
    try {
      const out = await work();
      setErrors({ fields: {} });
      await client.invalidateQueries({ queryKey: refresh });
      return out;
    } catch (err) {
      setErrors(formErrors(err, only));
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  const submit = (work: () => Promise<unknown>) => (e: FormEvent) => {
    e.preventDefault();
    void run(work);
  };
  return { errors, busy, run, submit, setErrors };
}
