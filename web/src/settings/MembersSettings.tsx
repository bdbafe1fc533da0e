// Members, their roles and teams (a rep's team is their manager), and invitations.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { allMembers, allOf } from "../api/lists";
import { useMe } from "../auth/session";
import { ActionForm } from "../components/ActionForm";
import { Field, FormError } from "../components/Field";
import { useFormAction } from "../lib/useFormAction";
import { ItemTable } from "../components/ItemTable";
import { Options } from "../components/Options";
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
    queryFn: allMembers,
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
        <ItemTable
          columns={["Name", "Email", "Role", "Team (manager)"]}
          items={list}
          cells={(m) => {
            const params = { params: { path: { member_id: m.id } } };
            return [
              m.name,
              m.email,
              <select
                key="role"
                aria-label={`Role of ${m.name}`}
                value={m.role}
                disabled={m.id === me?.id || change.isPending}
                onChange={(e) => {
                  // read now: the controlled select shows the old value again before the request runs
                  const role = e.target.value as Role;
                  change.mutate(() => unwrap(api.PATCH("/v1/members/{member_id}", { ...params, body: { role } })));
                }}
              >
                <Options choices={ROLES} />
              </select>,
              <select
                key="manager"
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
              </select>,
            ];
          }}
          action={(m) =>
            m.id === me?.id
              ? null
              : {
                  label: `Remove ${m.name}`,
                  disabled: change.isPending,
                  onClick: () => change.mutate(() => unwrap(api.DELETE("/v1/members/{member_id}", { params: { path: { member_id: m.id } } }))),
                }
          }
        />
      )}
    </div>
  );
}

function Invitations() {
  const invitations = useQuery({
    queryKey: ["invitations"],
    queryFn: () => allOf("/v1/invitations"),
  });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("rep");
  const [sent, setSent] = useState<Schemas["InvitationCreatedOut"] | null>(null);
  const action = useFormAction(["invitations"], ["email", "role"]);
  const { errors } = action;

  const invite = action.submit(async () => {
    setSent(await unwrap(api.POST("/v1/invitations", { body: { email: email.trim(), role } })));
    setEmail("");
  });
  const revoke = (id: string) =>
    action.run(
      () => unwrap(api.DELETE("/v1/invitations/{invitation_id}", { params: { path: { invitation_id: id } } })),
      [],
    );
  const pending = invitations.data ?? [];
  return (
    <div className="card">
      <h2>Invitations</h2>
      <ActionForm action={action} onSubmit={invite} button="Send invitation">
        <Field label="Email to invite" type="email" value={email} onValue={setEmail} error={errors.fields.email} />
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <Options choices={ROLES} />
          </select>
        </div>
      </ActionForm>
      {sent && (
        <p className="flash" role="status">
          Invitation mailed to {sent.email}. Its link, if you would rather send it yourself: <code>{sent.accept_url}</code>
        </p>
      )}
      {pending.length === 0 ? (
        <p className="muted">No invitation is waiting.</p>
      ) : (
        <ItemTable
          columns={["Email", "Role", "Expires"]}
          items={pending}
          cells={(i) => [i.email, ROLES[i.role], when(i.expires_at)]}
          action={(i) => ({ label: `Revoke the invitation to ${i.email}`, onClick: () => revoke(i.id) })}
        />
      )}
    </div>
  );
}
