// Members, their roles and teams (a rep's team is their manager), and invitations.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { itemsOf, type ListOf } from "../api/lists";
import { useMe } from "../auth/session";
import { Field, FormError } from "../components/Field";
import { formErrors, type FormErrors } from "../lib/fieldErrors";
import { TableHead } from "../components/TableHead";
import { when } from "../lib/time";

type Role = Schemas["MemberOut"]["role"];
const ROLES: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  manager: "Manager",
  rep: "Rep",
  compliance: "Compliance",
};

export function MembersSettings() {
  return (
    <>
      <Members />
      <Invitations />
    </>
  );
}

function Members() {
  const me = useMe().data;
  const client = useQueryClient();
  const members = useQuery({
    queryKey: ["members"],
    queryFn: async () => itemsOf(await unwrap(api.GET("/v1/members")) as ListOf<Schemas["MemberOut"]>),
  });
  const [error, setError] = useState<string | undefined>();
  const change = useMutation({
    mutationFn: (run: () => Promise<unknown>) => run(),
    onSuccess: () => (setError(undefined), client.invalidateQueries({ queryKey: ["members"] })),
    onError: (e) => setError(e.message),
  });
  const list = members.data ?? [];
  const managers = list.filter((m) => m.role === "manager" || m.role === "admin" || m.role === "owner");
  return (
    <div className="card">
      <h2>Members</h2>
      {members.isPending && <p role="status">Loading members…</p>}
      {members.isError && <p role="alert">{members.error.message}</p>}
      <FormError message={error} />
      {list.length > 0 && (
        <table>
          <TableHead columns={["Name", "Email", "Role", "Team (manager)"]} actions />
          <tbody>
            {list.map((m) => {
              const self = m.id === me?.id;
              const params = { params: { path: { member_id: m.id } } };
              return (
                <tr key={m.id}>
                  <td>{m.name}</td>
                  <td>{m.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${m.name}`}
                      value={m.role}
                      disabled={self || change.isPending}
                      onChange={(e) => {
                        // read now: the controlled select shows the old value again before the request runs
                        const role = e.target.value as Role;
                        change.mutate(() => unwrap(api.PATCH("/v1/members/{member_id}", { ...params, body: { role } })));
                      }}
                    >
                      {Object.entries(ROLES).map(([value, label]) => (
                        <option key={value} value={value}>
                          {label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <select
                      aria-label={`Manager of ${m.name}`}
                      value={m.manager_id ?? ""}
                      disabled={change.isPending}
                      onChange={(e) => {
                        const managerId = e.target.value || null;
                        change.mutate(() =>
                          unwrap(api.PUT("/v1/members/{member_id}/manager", { ...params, body: { manager_id: managerId } })),
                        );
                      }}
                    >
                      <option value="">No team</option>
                      {managers
                        .filter((x) => x.id !== m.id)
                        .map((x) => (
                          <option key={x.id} value={x.id}>
                            {x.name}
                          </option>
                        ))}
                    </select>
                  </td>
                  <td>
                    {!self && (
                      <button
                        type="button"
                        className="secondary small"
                        disabled={change.isPending}
                        onClick={() => change.mutate(() => unwrap(api.DELETE("/v1/members/{member_id}", params)))}
                      >
                        Remove {m.name}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Invitations() {
  const client = useQueryClient();
  const invitations = useQuery({
    queryKey: ["invitations"],
    queryFn: async () => itemsOf(await unwrap(api.GET("/v1/invitations")) as ListOf<Schemas["InvitationOut"]>),
  });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("rep");
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [sent, setSent] = useState<Schemas["InvitationCreatedOut"] | null>(null);
  const [busy, setBusy] = useState(false);

  async function invite(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      setSent(await unwrap(api.POST("/v1/invitations", { body: { email: email.trim(), role } })));
      setErrors({ fields: {} });
      setEmail("");
      await client.invalidateQueries({ queryKey: ["invitations"] });
    } catch (err) {
      setErrors(formErrors(err, ["email", "role"]));
    } finally {
      setBusy(false);
    }
  }
  async function revoke(id: string) {
    try {
      await unwrap(api.DELETE("/v1/invitations/{invitation_id}", { params: { path: { invitation_id: id } } }));
      await client.invalidateQueries({ queryKey: ["invitations"] });
    } catch (err) {
      setErrors(formErrors(err, []));
    }
  }
  const pending = invitations.data ?? [];
  return (
    <div className="card">
      <h2>Invitations</h2>
      <form className="filters" onSubmit={invite} noValidate>
        <Field label="Email to invite" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {Object.entries(ROLES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Send invitation
        </button>
      </form>
      <FormError message={errors.general} />
      {sent && (
        <p className="flash" role="status">
          Invitation mailed to {sent.email}. Its link, if you would rather send it yourself: <code>{sent.accept_url}</code>
        </p>
      )}
      {pending.length === 0 ? (
        <p className="muted">No invitation is waiting.</p>
      ) : (
        <table>
          <TableHead columns={["Email", "Role", "Expires"]} actions />
          <tbody>
            {pending.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>{ROLES[i.role]}</td>
                <td>{when(i.expires_at)}</td>
                <td>
                  <button type="button" className="secondary small" onClick={() => revoke(i.id)}>
                    Revoke the invitation to {i.email}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
