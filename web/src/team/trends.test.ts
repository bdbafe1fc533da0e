import { chartRows, formatValue, rangeLabel, type Trends } from "./trends";

const trends: Trends = {
  weeks: ["2026-11-23", "2026-11-30"],
  metrics: [{ name: "talk_ratio_rep", unit: "ratio", recommended_min: 0.4, recommended_max: 0.5 }],
  team: [
    { week: "2026-11-23", reps: 2, values: { talk_ratio_rep: 0.5 } },
    { week: "2026-11-30", reps: 1, values: { talk_ratio_rep: 0.45 } },
  ],
  reps: [{ user_id: "ann", points: [{ week: "2026-11-30", calls: 2, call_ids: ["c2", "c1"], values: { talk_ratio_rep: 0.43 } }] }],
};

test("a week without the rep's calls is a gap beside the team's median", () => {
  const rows = chartRows(trends, "ann", "talk_ratio_rep");
  expect(rows.map((r) => [r.week, r.rep, r.team])).toEqual([
    ["2026-11-23", null, 0.5],
    ["2026-11-30", 0.43, 0.45],
  ]);
  expect(rows[1]!.point?.call_ids).toEqual(["c2", "c1"]);
});

test("values and ranges read in the metric's unit", () => {
  expect(formatValue(0.432, "ratio")).toBe("43%");
  expect(formatValue(95.4, "s")).toBe("95 s");
  expect(formatValue(0.75, "s")).toBe("0.8 s");
  expect(formatValue(null, "questions")).toBe("–");
  expect(rangeLabel(0.4, 0.5, "ratio")).toBe("40%–50%");
  expect(rangeLabel(null, 150, "s")).toBe("at most 150 s");
  expect(rangeLabel(null, null, "score")).toBeNull();
});
