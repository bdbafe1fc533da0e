"""Weekly trends: a rep's point is the mean of their week, the team's is the median of
the reps' points, and every point keeps the calls behind it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from score.domain.trends import TrendRow, metric_catalog, recent_weeks, week_of, weekly_trends

MON = date(2026, 11, 30)


def row(call: str, rep: str, day: date, **values: float | None) -> TrendRow:
    return TrendRow(call, rep, datetime(day.year, day.month, day.day, 12, tzinfo=UTC), values)


def test_weeks_start_on_monday_and_end_with_this_one() -> None:
    assert week_of(datetime(2026, 12, 6, 23, tzinfo=UTC)) == MON
    assert recent_weeks(date(2026, 12, 6), 3) == [date(2026, 11, 16), date(2026, 11, 23), MON]


def test_a_reps_point_is_the_mean_of_their_week_with_its_calls() -> None:
    rows = [
        row("c1", "ann", date(2026, 11, 30), talk_ratio_rep=0.4, overall_score=80),
        row("c2", "ann", date(2026, 12, 2), talk_ratio_rep=0.6, overall_score=None),
    ]
    out = weekly_trends(rows, recent_weeks(date(2026, 12, 6), 2))
    (ann,) = out["reps"]
    (point,) = ann["points"]  # the week before has no calls: a gap, not a zero
    assert point["week"] == "2026-11-30" and point["calls"] == 2
    assert point["values"]["talk_ratio_rep"] == 0.5
    assert point["values"]["overall_score"] == 80
    assert point["call_ids"] == ["c2", "c1"]  # newest first


def test_the_team_point_is_the_median_of_the_reps_not_of_the_calls() -> None:
    rows = [
        row("a1", "ann", date(2026, 11, 30), rep_questions=10),
        row("b1", "bob", date(2026, 11, 30), rep_questions=2),
        row("b2", "bob", date(2026, 11, 30), rep_questions=2),
        row("b3", "bob", date(2026, 11, 30), rep_questions=2),
        row("c1", "cy", date(2026, 12, 1), rep_questions=20),
    ]
    out = weekly_trends(rows, [MON])
    (team,) = out["team"]
    assert team["reps"] == 3 and team["values"]["rep_questions"] == 10


def test_calls_outside_the_weeks_are_left_out_and_ranges_come_with_the_metrics() -> None:
    out = weekly_trends([row("old", "ann", date(2026, 11, 2), patience_s=1.0)], [MON])
    assert out["reps"] == [] and out["team"][0]["values"]["patience_s"] is None
    ranges = {m["name"]: (m["recommended_min"], m["recommended_max"]) for m in metric_catalog()}
    assert ranges["talk_ratio_rep"] == (0.40, 0.50)
    assert ranges["longest_monologue_s"] == (None, 150.0)
    assert ranges["overall_score"] == (None, None)
