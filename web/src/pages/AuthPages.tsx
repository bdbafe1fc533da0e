// Sign up and log in. Errors from the API land beside the field they are about.
import { useState, type FormEvent } from "react";
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

export function SignUpPage() {
  const form = useAuthForm(["name", "email", "password", "organization"]);
  const [values, setValues] = useState({ name: "", email: "", password: "", organization: "" });
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void form.submit(() => unwrap(api.POST("/v1/auth/signup", { body: values })));
  }
  const err = form.errors.fields;
  return (
    <section className="card narrow">
      <h1>Sign up</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Name" autoComplete="name" value={values.name} onChange={set("name")} error={err.name} required />
        <Field label="Email" type="email" autoComplete="email" value={values.email} onChange={set("email")} error={err.email} required />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          value={values.password}
          onChange={set("password")}
          error={err.password}
          hint="At least 10 characters."
          required
        />
        <Field
          label="Organization"
          autoComplete="organization"
          value={values.organization}
          onChange={set("organization")}
          error={err.organization}
          required
        />
        <FormError message={form.errors.general} />
        <button type="submit" disabled={form.busy}>
          Sign up
        </button>
      </form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}

export function LogInPage() {
  const form = useAuthForm(["email", "password"]);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void form.submit(() => unwrap(api.POST("/v1/auth/login", { body: { email, password } })));
  }
  return (
    <section className="card narrow">
      <h1>Log in</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.errors.fields.email}
          required
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.errors.fields.password}
          required
        />
        <FormError message={form.errors.general} />
        <button type="submit" disabled={form.busy}>
          Log in
        </button>
      </form>
      <p>
        New to Clashtor? <Link to="/signup">Sign up</Link>
      </p>
    </section>
  );
}

/** The link of an invitation e-mail (`/invitations/<token>`): choose a name and a password. */
export function AcceptInvitationPage() {
  const { token = "" } = useParams();
  const form = useAuthForm(["name", "password"]);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void form.submit(() =>
      unwrap(
        api.POST("/v1/invitations/{token}/accept", {
          params: { path: { token } },
          body: { name, password },
        }),
      ),
    );
  }
  return (
    <section className="card narrow">
      <h1>Join your team on Clashtor</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={form.errors.fields.name} required />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.errors.fields.password}
          hint="At least 10 characters."
          required
        />
        <FormError message={form.errors.general} />
        <button type="submit" disabled={form.busy}>
          Accept invitation
        </button>
      </form>
    </section>
  );
}
