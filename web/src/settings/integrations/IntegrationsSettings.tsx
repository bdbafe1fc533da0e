// Integrations (owners and admins): Zoom recordings arriving as calls, Slack alerts, and
// signed outbound webhooks. Others do not see the tab; opened by its address they are told
// why and no request is made (the gateway would refuse them: integrations.manage).
import { useMe } from "../../auth/session";
import { INTEGRATIONS_ROLES } from "../../auth/roles";
import { SlackIntegration } from "./SlackIntegration";
import { WebhooksIntegration } from "./WebhooksIntegration";
import { ZoomIntegration } from "./ZoomIntegration";

export function IntegrationsSettings() {
  const me = useMe().data;
  if (!me) return null;
  if (!INTEGRATIONS_ROLES.has(me.role))
    return (
      <div className="card">
        <h2>Integrations</h2>
        <p role="alert">Only owners and admins manage integrations. Ask one of them to connect Zoom, Slack or a webhook.</p>
      </div>
    );
  return (
    <>
      <ZoomIntegration />
      <SlackIntegration />
      <WebhooksIntegration />
    </>
  );
}
