// Settings for owners and admins: members, teams and invitations; trackers and scorecards; API keys;
// billing; integrations (Zoom, Slack, webhooks).
// Each section is its own route under /settings, so a link can open it directly.
import { NavLink, Outlet } from "react-router";
import { INTEGRATIONS_ROLES } from "../auth/roles";
import { useMe } from "../auth/session";

export function SettingsPage() {
  const me = useMe().data;
  return (
    <section>
      <h1>Settings</h1>
      <nav aria-label="Settings" className="subnav">
        <NavLink to="/settings/members">Members</NavLink>
        <NavLink to="/settings/trackers">Trackers</NavLink>
        <NavLink to="/settings/scorecards">Scorecards</NavLink>
        <NavLink to="/settings/api-keys">API keys</NavLink>
        <NavLink to="/settings/billing">Billing</NavLink>
        {me && INTEGRATIONS_ROLES.has(me.role) && <NavLink to="/settings/integrations">Integrations</NavLink>}
      </nav>
      <Outlet />
    </section>
  );
}
