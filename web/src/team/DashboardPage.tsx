// The team dashboard: pick a rep, see their weekly trend on each metric beside the team's
// median and the recommended range, and open the calls behind any point.
import { useQueries, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { allMembers } from "../api/lists";
import { useMe } from "../auth/session";
import { TrendChart } from "./TrendChart";
import { METRIC_LABEL, weekLabel, type TrendPoint } from "./trends";

const WEEKS = 12;
const CAN_LIST_MEMBERS = new Set(["owner", "admin", "manager"]);

export function DashboardPage() {
  const me = useMe().data;
  const [params, setParams] = useSearchParams();
  const [picked, setPicked] = useState<{ point: TrendPoint; metric: string } | null>(null);
  const trends = useQuery({
    queryKey: ["trends", WEEKS],
    queryFn: () => unwrap(api.GET("/v1/analytics/trends", { params: { query: { weeks: WEEKS } } })),
  });
  const members = useQuery({
    queryKey: ["members"],
    queryFn: allMembers,
    enabled: CAN_LIST_MEMBERS.has(me?.role ?? ""),
  });
  const names = new Map((members.data ?? []).map((m) => [m.id, m.name]));
  if (me) names.set(me.id, me.name);
  const reps = trends.data?.reps ?? [];
  const userId = params.get("rep") ?? reps[0]?.user_id ?? "";
  const repName = names.get(userId) ?? "This rep";

  return (
    <section>
      <h1>Team</h1>
      <p className="muted">The last {WEEKS} weeks of scored calls, week by week (weeks start on Monday).</p>
      {trends.isPending && <p role="status">Loading the trends…</p>}
      {trends.isError && <p role="alert">{trends.error.message}</p>}
      {trends.data && reps.length === 0 && (
        <div className="empty">
          <p>No scored calls in the last {WEEKS} weeks yet.</p>
        </div>
      )}
      {trends.data && reps.length > 0 && (
        <>
          <div className="field narrow">
            <label htmlFor="dash-rep">Rep</label>
            <select
              id="dash-rep"
              value={userId}
              onChange={(e) => {
                setPicked(null);
                setParams({ rep: e.target.value }, { replace: true });
              }}
            >
              {reps.map((r) => (
                <option key={r.user_id} value={r.user_id}>
                  {names.get(r.user_id) ?? r.user_id}
                </option>
              ))}
            </select>
          </div>
          {picked && <CallsBehind point={picked.point} metric={picked.metric} repName={repName} />}
          <div className="trends">
            {trends.data.metrics.map((m) => (
              <TrendChart
                key={m.name}
                trends={trends.data}
                metric={m}
                userId={userId}
                repName={repName}
                onPick={(point, metric) => setPicked({ point, metric })}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

/** The calls behind one point, by title, each a link to its page. */
function CallsBehind({ point, metric, repName }: { point: TrendPoint; metric: string; repName: string }) {
  const calls = useQueries({
    queries: point.call_ids.map((id) => ({
      queryKey: ["call", id],
      queryFn: () => unwrap(api.GET("/v1/calls/{call_id}", { params: { path: { call_id: id } } })),
    })),
  });
  return (
    <div className="card" role="region" aria-label="Calls behind the point">
      <h2>
        {repName}'s calls in the week of {weekLabel(point.week)}
      </h2>
      <p className="muted">Behind the {METRIC_LABEL[metric]?.toLowerCase() ?? metric} point.</p>
      <ul>
        {point.call_ids.map((id, i) => (
          <li key={id}>
            <Link to={`/calls/${encodeURIComponent(id)}`}>{calls[i]?.data?.title || `Call ${id.slice(0, 8)}`}</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
