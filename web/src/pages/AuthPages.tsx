// Sign up and log in. Errors from the API land beside the field they are about.
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { useSignedIn } from "../auth/session";
import { Field, FormError } from "../components/Field";
import { formErrors, type FormErrors } from "../lib/fieldErrors";

function safeNext(next: string | null): string {
  // only a path of this app: never an absolute or protocol-relative URL
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/calls";
}

function useAuthForm(fields: readonly string[]) {
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const signedIn = useSignedIn();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  async function submit(send: () => Promise<Parameters<typeof signedIn>[0]>) {
    setBusy(true);
    setErrors({ fields: {} });
    try {
      signedIn(await send());
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (error) {
      setErrors(formErrors(error, fields));
    } finally {
      setBusy(false);
    }
  }
  return { errors, busy, submit };
}

interface Spec {
  label: string;
  type?: string;
  autoComplete: string;
  hint?: string;
}
const NAME: Spec = { label: "Name", autoComplete: "name" };
const EMAIL: Spec = { label: "Email", type: "email", autoComplete: "email" };
const NEW_PASSWORD: Spec = { label: "Password", type: "password", autoComplete: "new-password", hint: "At least 10 characters." };
type SignedIn = Parameters<ReturnType<typeof useSignedIn>>[0];

/** A sign-in form: its fields (errors beside each), one button, what it sends. */
function AuthForm<K extends string>(props: {
  title: string;
  fields: Record<K, Spec>;
  button: string;
  send: (values: Record<K, string>) => Promise<SignedIn>;
  children?: ReactNode;
}) {
  const names = Object.keys(props.fields) as K[];
  const form = useAuthForm(names);
  const [values, setValues] = useState(() => Object.fromEntries(names.map((n) => [n, ""])) as Record<K, string>);
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void form.submit(() => props.send(values));
  }
  return (
    <section className="card narrow">
      <h1>{props.title}</h1>
      <form onSubmit={onSubmit} noValidate>
        {names.map((name) => {
          const spec: Spec = props.fields[name];
          return (
            <Field
              key={name}
              {...spec}
              value={values[name]}
              onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
              error={form.errors.fields[name]}
              required
            />
          );
        })}
        <FormError message={form.errors.general} />
        <button type="submit" disabled={form.busy}>
          {props.button}
        </button>
      </form>
      {props.children}
    </section>
  );
}

export function SignUpPage() {
  return (
    <AuthForm
      title="Sign up"
      fields={{ name: NAME, email: EMAIL, password: NEW_PASSWORD, organization: { label: "Organization", autoComplete: "organization" } }}
      button="Sign up"
      send={(body) => unwrap(api.POST("/v1/auth/signup", { body }))}
    >
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthForm>
  );
}

export function LogInPage() {
  return (
    <AuthForm
      title="Log in"
      fields={{ email: EMAIL, password: { label: "Password", type: "password", autoComplete: "current-password" } }}
      button="Log in"
      send={(body) => unwrap(api.POST("/v1/auth/login", { body }))}
    >
      <p>
        New to Clashtor? <Link to="/signup">Sign up</Link>
      </p>
    </AuthForm>
  );
}

/** The link of an invitation e-mail (`/invitations/<token>`): choose a name and a password. */
export function AcceptInvitationPage() {
  const { token = "" } = useParams();
  return (
    <AuthForm
      title="Join your team on Clashtor"
      fields={{ name: NAME, password: NEW_PASSWORD }}
      button="Accept invitation"
      send={(body) => unwrap(api.POST("/v1/invitations/{token}/accept", { params: { path: { token } }, body }))}
    />
  );
}
