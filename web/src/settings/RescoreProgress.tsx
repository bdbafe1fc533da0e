// Re-scoring past calls after a tracker or scorecard change: starts the score service's
// job and shows its progress (a <progress> the browser announces) until it is done.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";

type Job = Schemas["RescoreJobOut"];

/** The latest job of the organization (so a reload still shows one that is running),
 * or the one this page just started. */
export function useRescore() {
  const [started, setStarted] = useState<Job | null>(null);
  const latest = useQuery({
    queryKey: ["rescore-jobs", "latest"],
    queryFn: async () => (await unwrap(api.GET("/v1/rescore-jobs", { params: { query: { limit: 1 } } }))).items[0] ?? null,
  });
  const shown = started ?? (latest.data?.status === "running" ? latest.data : null);
  async function start(scorecardId?: string) {
    const body = scorecardId ? { scorecard_id: scorecardId } : {};
    setStarted(await unwrap(api.POST("/v1/rescore-jobs", { body })));
  }
  return { job: shown, start, show: setStarted };
}

export function RescoreProgress({ job }: { job: Job | null }) {
  const current = useQuery({
    queryKey: ["rescore-jobs", job?.id],
    enabled: Boolean(job),
    initialData: job ?? undefined,
    queryFn: () => unwrap(api.GET("/v1/rescore-jobs/{job_id}", { params: { path: { job_id: job!.id } } })),
    refetchInterval: (query) => (query.state.data?.status === "running" ? 1000 : false),
  });
  const state = current.data;
  if (!job || !state) return null;
  const label =
    state.status === "running"
      ? `Re-scoring past calls: ${state.done} of ${state.total}`
      : state.status === "completed"
        ? `Past calls re-scored: ${state.rescored} of ${state.total}`
        : "A newer re-score replaced this one";
  return (
    <div className="rescore" role="status" aria-live="polite">
      <label htmlFor={`rescore-${state.id}`}>{label}</label>
      <progress id={`rescore-${state.id}`} max={100} value={state.percent}>
        {state.percent}%
      </progress>
      <span className="muted"> {state.percent}%</span>
    </div>
  );
}
