import { NavLink, Outlet, useNavigate } from "react-router";
import { useMe, useSignOut } from "../auth/session";
import { DeletedAccountBanner } from "../privacy/AccountDeletion";
import { SETTINGS_ROLES, TEAM_ROLES } from "../auth/roles";

/** The frame of every signed-in page: a skip link, the navigation and sign-out. */
export function Layout() {
  const me = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Clashtor</span>
        <nav aria-label="Main">
          <NavLink to="/calls" end>
            Calls
          </NavLink>
          <NavLink to="/upload">Upload</NavLink>
          <NavLink to="/library">Library</NavLink>
          {me.data && TEAM_ROLES.has(me.data.role) && <NavLink to="/team">Team</NavLink>}
          <NavLink to="/notifications">Notifications</NavLink>
          <NavLink to="/privacy">Privacy</NavLink>
          {me.data && SETTINGS_ROLES.has(me.data.role) && <NavLink to="/settings">Settings</NavLink>}
        </nav>
        <span className="who">
          {me.data?.name} · {me.data?.organization.name}
        </span>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await signOut();
            navigate("/login");
          }}
        >
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {me.data && <DeletedAccountBanner me={me.data} />}
        <Outlet />
      </main>
    </>
  );
}

/** The frame of the signed-out pages (sign up, log in, confirm). */
export function PublicLayout() {
  return (
    <main id="main" className="public">
      <p className="brand">Clashtor</p>
      <Outlet />
    </main>
  );
}
