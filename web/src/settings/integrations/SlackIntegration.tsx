// Slack alerts: the organization's bot token (write-only: the page only learns whether one
// is stored) and the rules that post into a channel when a call scores below a threshold,
// mentions a tracker, or fails.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { allOf } from "../../api/lists";
import { ActionForm } from "../../components/ActionForm";
import { Field } from "../../components/Field";
import { ItemTable } from "../../components/ItemTable";
import { Options } from "../../components/Options";
import { when } from "../../lib/time";
import { useFormAction } from "../../lib/useFormAction";
import { DisconnectDialog } from "./DisconnectDialog";

const SLACK_KEY = ["integrations", "slack"] as const;
type Kind = "score_below" | "tracker_hit" | "call_failed";
const KINDS: Record<Kind, string> = {
  score_below: "A call scores below a threshold",
  tracker_hit: "A tracker is mentioned",
  call_failed: "A call fails",
};

/** A rule in words: "Score below 50", "Tracker “Competitor” mentioned", "Call failed". */
export function ruleText(rule: Pick<Schemas["SlackRule"], "kind" | "threshold" | "tracker">): string {
  if (rule.kind === "score_below") return `Score below ${rule.threshold ?? "?"}`;
  if (rule.kind === "tracker_hit") return `Tracker “${rule.tracker ?? "?"}” mentioned`;
  if (rule.kind === "call_failed") return "Call failed";
  return rule.kind;
}

export function SlackIntegration() {
  return (
    <section className="card" aria-labelledby="slack-heading">
      <h2 id="slack-heading">Slack</h2>
      <p>Alerts post a message with the key figures and a link to the call; no names, emails or transcript text go to Slack.</p>
      <SlackConnection />
      <SlackRules />
    </section>
  );
}

function SlackConnection() {
  const status = useQuery({
    queryKey: [...SLACK_KEY, "connection"],
    queryFn: () => unwrap(api.GET("/v1/integrations/slack/connection")),
  });
  const [token, setToken] = useState("");
  const action = useFormAction(SLACK_KEY, ["bot_token"]);
  const save = action.submit(async () => {
    await unwrap(api.PUT("/v1/integrations/slack/connection", { body: { bot_token: token.trim() } }));
    setToken("");
  });
  const disconnect = () => action.run(() => unwrap(api.DELETE("/v1/integrations/slack/connection")), []);
  const connected = status.data?.connected;
  return (
    <>
      <h3>Connection</h3>
      {status.isError && <p role="alert">{status.error.message}</p>}
      {status.data && (
        <p data-testid="slack-status">
          {connected ? (
            <>
              <strong>Connected</strong> with a bot token stored since {when(status.data.connected_at)}.
            </>
          ) : (
            "Not connected: no alert is posted until a bot token is stored."
          )}
        </p>
      )}
      <ActionForm action={action} onSubmit={save} button={connected ? "Replace token" : "Connect Slack"} label="Slack connection">
        <Field
          label="Bot token"
          type="password"
          autoComplete="off"
          hint="xoxb-…, from your Slack app's OAuth page (the app needs chat:write). Stored encrypted, never shown again."
          value={token}
          onValue={setToken}
          error={action.errors.fields.bot_token}
        />
      </ActionForm>
      {connected && (
        <DisconnectDialog
          provider="Slack"
          question="Disconnect Slack? The token is deleted and no alert is posted until a new one is stored; the rules stay."
          busy={action.busy}
          onConfirm={disconnect}
        />
      )}
    </>
  );
}

function SlackRules() {
  const rules = useQuery({
    queryKey: [...SLACK_KEY, "rules"],
    queryFn: () => allOf("/v1/integrations/slack/rules"),
  });
  const [kind, setKind] = useState<Kind>("score_below");
  const [channel, setChannel] = useState("");
  const [threshold, setThreshold] = useState("50");
  const [tracker, setTracker] = useState("");
  const action = useFormAction([...SLACK_KEY, "rules"], ["channel", "threshold", "tracker"]);
  const { errors } = action;

  const add = action.submit(async () => {
    const base = { channel: channel.trim() };
    const body =
      kind === "score_below"
        ? { ...base, kind, threshold: Number(threshold) }
        : kind === "tracker_hit"
          ? { ...base, kind, tracker: tracker.trim() }
          : { ...base, kind };
    await unwrap(api.POST("/v1/integrations/slack/rules", { body }));
    setChannel("");
    setTracker("");
  });
  const remove = (id: string) =>
    action.run(() => unwrap(api.DELETE("/v1/integrations/slack/rules/{rule_id}", { params: { path: { rule_id: id } } })), []);
  const list = rules.data ?? [];
  return (
    <>
      <h3>Rules</h3>
      <ActionForm action={action} onSubmit={add} button="Add rule" label="Add a Slack rule">
        <div className="field">
          <label htmlFor="slack-rule-kind">Alert when</label>
          <select id="slack-rule-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            <Options choices={KINDS} />
          </select>
        </div>
        {kind === "score_below" && (
          <Field
            label="Threshold"
            type="number"
            min={0}
            max={100}
            value={threshold}
            onValue={setThreshold}
            error={errors.fields.threshold}
          />
        )}
        {kind === "tracker_hit" && (
          <Field label="Tracker" value={tracker} onValue={setTracker} error={errors.fields.tracker} />
        )}
        <Field label="Channel" hint="#sales or a channel id" value={channel} onValue={setChannel} error={errors.fields.channel} />
      </ActionForm>
      {rules.isError && <p role="alert">{rules.error.message}</p>}
      {rules.isSuccess && list.length === 0 && <p className="muted">No rule yet.</p>}
      {list.length > 0 && (
        <ItemTable
          columns={["Alert when", "Channel", "Added"]}
          items={list}
          cells={(r) => [ruleText(r), r.channel, when(r.created_at)]}
          action={(r) => ({ label: `Delete the rule ${ruleText(r)} in ${r.channel}`, onClick: () => remove(r.id) })}
        />
      )}
    </>
  );
}
