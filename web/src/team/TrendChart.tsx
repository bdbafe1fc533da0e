// One metric's trend: the rep's weekly means as a line with clickable points, the team's
// median dashed beside it, and the recommended range as a shaded band. The same points
// are listed as buttons under the chart, for keyboards and screen readers.
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { chartRows, formatValue, METRIC_LABEL, rangeLabel, weekLabel, type TrendPoint, type Trends } from "./trends";

interface Props {
  trends: Trends;
  metric: Trends["metrics"][number];
  userId: string;
  repName: string;
  onPick: (point: TrendPoint, metric: string) => void;
}

interface DotProps {
  cx?: number | null;
  cy?: number | null;
  index?: number;
  payload?: { point: TrendPoint | null };
}

export function TrendChart({ trends, metric, userId, repName, onPick }: Props) {
  const rows = chartRows(trends, userId, metric.name);
  const label = METRIC_LABEL[metric.name] ?? metric.name;
  const range = rangeLabel(metric.recommended_min, metric.recommended_max, metric.unit);
  const values = rows.flatMap((r) => [r.rep, r.team]).filter((v): v is number => v != null);
  const top = Math.max(...values, metric.recommended_max ?? 0, metric.recommended_min ?? 0) * 1.15 || 1;
  const format = (v: number) => formatValue(v, metric.unit);

  function dot({ cx, cy, index, payload }: DotProps) {
    const point = payload?.point;
    if (cx == null || cy == null || !point) return <g key={`none-${index}`} />;
    return (
      <circle
        key={`dot-${index}`}
        cx={cx}
        cy={cy}
        r={6}
        className="trend-dot"
        data-week={point.week}
        onClick={() => onPick(point, metric.name)}
      />
    );
  }

  const headingId = `trend-${metric.name}`;
  return (
    <section className="card trend" aria-labelledby={headingId}>
      <h2 id={headingId}>{label}</h2>
      <p className="muted">
        {repName} (solid) beside the team median (dashed){range ? `; recommended ${range} (shaded)` : ""}.
      </p>
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke="#e5e7eb" />
            {range && (
              <ReferenceArea y1={metric.recommended_min ?? 0} y2={metric.recommended_max ?? top} fill="#176c2e" fillOpacity={0.12} />
            )}
            <XAxis dataKey="week" tickFormatter={weekLabel} fontSize={12} />
            <YAxis domain={[0, top]} tickFormatter={format} fontSize={12} width={56} />
            <Tooltip formatter={(v) => format(Number(v))} labelFormatter={(w) => `Week of ${weekLabel(String(w))}`} />
            {/* No active dot on the team's line: where the rep's point equals the median, a
                hovered team dot would lie over the rep's point and take its click. */}
            <Line name="Team median" dataKey="team" stroke="#6b7280" strokeDasharray="5 4" dot={false} activeDot={false} connectNulls isAnimationActive={false} />
            <Line name={repName} dataKey="rep" stroke="#1f6feb" strokeWidth={2} dot={dot} activeDot={false} connectNulls isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ul className="points" aria-label={`${label} of ${repName} by week`}>
        {rows
          .filter((r) => r.point)
          .map((r) => (
            <li key={r.week}>
              <button type="button" className="secondary small" onClick={() => onPick(r.point!, metric.name)}>
                Week of {weekLabel(r.week)}: {format(r.rep ?? NaN)} ({r.point!.calls} {r.point!.calls === 1 ? "call" : "calls"}), team{" "}
                {formatValue(r.team, metric.unit)}
              </button>
            </li>
          ))}
      </ul>
    </section>
  );
}
