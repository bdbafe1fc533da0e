/** Who sees Settings (the gateway refuses the rest anyway: members.invite, billing.read). */
export const SETTINGS_ROLES = new Set(["owner", "admin"]);
/** Who sees the team dashboard in the menu (a rep's own trend is at /team too). */
export const TEAM_ROLES = new Set(["owner", "admin", "manager"]);
/** Who manages integrations (Zoom, Slack, webhooks): the gateway's integrations.manage. */
export const INTEGRATIONS_ROLES = new Set(["owner", "admin"]);
