// Settings for owners and admins: members, teams and invitations; trackers and scorecards; API keys;
// billing.
// Each section is its own route under /settings, so a link can open it directly.
import { NavLink, Outlet } from "react-router";

export function SettingsPage() {
  return (
    <section>
      <h1>Settings</h1>
      <nav aria-label="Settings" className="subnav">
        <NavLink to="/settings/members">Members</NavLink>
        <NavLink to="/settings/trackers">Trackers</NavLink>
        <NavLink to="/settings/scorecards">Scorecards</NavLink>
        <NavLink to="/settings/api-keys">API keys</NavLink>
        <NavLink to="/settings/billing">Billing</NavLink>
      </nav>
      <Outlet />
    </section>
  );
}
