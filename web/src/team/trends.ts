// The score service's weekly trends (GET /v1/analytics/trends), shaped for the charts:
// one row per week with the rep's mean and the team's median, and labels per metric.
import type { Schemas } from "../api/client";

export type Trends = Schemas["TrendsOut"];
export type TrendPoint = Schemas["TrendPoint"];
export interface ChartRow {
  week: string;
  rep: number | null;
  team: number | null;
  point: TrendPoint | null;
}

export const METRIC_LABEL: Record<string, string> = {
  overall_score: "Scorecard score",
  talk_ratio_rep: "Talk ratio",
  longest_monologue_s: "Longest monologue",
  rep_questions: "Questions asked",
  patience_s: "Patience",
};

/** 0.43 → "43%"; 95.2 s → "95 s"; 11.5 questions → "11.5". */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value == null) return "–";
  if (unit === "ratio") return `${Math.round(value * 100)}%`;
  if (unit === "s") return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function rangeLabel(min: number | null, max: number | null, unit: string): string | null {
  if (min == null && max == null) return null;
  if (min != null && max != null) return `${formatValue(min, unit)}–${formatValue(max, unit)}`;
  return min != null ? `at least ${formatValue(min, unit)}` : `at most ${formatValue(max, unit)}`;
}

/** "2026-11-30" → "Nov 30" (the Monday a week starts on, in UTC). */
export function weekLabel(week: string): string {
  const d = new Date(`${week}T00:00:00Z`);
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

export function chartRows(trends: Trends, userId: string, metric: string): ChartRow[] {
  const points = new Map((trends.reps.find((r) => r.user_id === userId)?.points ?? []).map((p) => [p.week, p]));
  const team = new Map(trends.team.map((t) => [t.week, t.values[metric] ?? null]));
  return trends.weeks.map((week) => {
    const point = points.get(week) ?? null;
    return { week, rep: point?.values[metric] ?? null, team: team.get(week) ?? null, point };
  });
}
