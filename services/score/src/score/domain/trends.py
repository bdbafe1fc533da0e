"""Weekly trends of a team: each rep's weekly means beside the team's median.

The manager's dashboard draws these. A week starts on Monday (UTC). A rep's point for a
week is the mean of their scored calls that week; the team's point is the median of the
reps' points that week (the typical rep, so one busy rep does not drag it), and each
point keeps the ids of the calls behind it, so the dashboard opens them in one click.
Pure: no I/O, the rows come from the repository already filtered for objections.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean, median
from typing import Any

from score.domain.metrics import METRIC_SPECS

TREND_METRICS = ("talk_ratio_rep", "longest_monologue_s", "rep_questions", "patience_s")
"""The conversation metrics a trend follows, besides the scorecard score."""
SCORE = "overall_score"
MAX_CALL_IDS = 50
"""Calls listed behind one point at most (the newest); the count is always exact."""


@dataclass(frozen=True)
class TrendRow:
    call_id: str
    uploader_id: str
    scored_at: datetime
    values: dict[str, float | None]


def week_of(moment: datetime | date) -> date:
    """The Monday of the week ``moment`` falls in."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def recent_weeks(today: date, weeks: int) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, oldest first, this week last."""
    this = week_of(today)
    return [this - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def metric_catalog() -> list[dict[str, Any]]:
    """What the dashboard draws, with each metric's recommended range (none for the score)."""
    out: list[dict[str, Any]] = [
        {"name": SCORE, "unit": "score", "recommended_min": None, "recommended_max": None}
    ]
    for name in TREND_METRICS:
        spec = METRIC_SPECS[name]
        out.append(
            {
                "name": name,
                "unit": spec.unit,
                "recommended_min": spec.recommended_min,
                "recommended_max": spec.recommended_max,
            }
        )
    return out


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 3) if present else None


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 3) if present else None


def weekly_trends(rows: list[TrendRow], weeks: list[date]) -> dict[str, Any]:
    """Per rep and per week, the mean of each metric and the calls behind it; per week,
    the team's median of the reps' means. Weeks without calls are left out of a rep's
    points (a gap, not a zero)."""
    names = (SCORE, *TREND_METRICS)
    wanted = set(weeks)
    groups: dict[str, dict[date, list[TrendRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        week = week_of(row.scored_at)
        if week in wanted:
            groups[row.uploader_id][week].append(row)

    reps = []
    by_week: dict[date, list[dict[str, float | None]]] = defaultdict(list)
    for user_id in sorted(groups):
        points = []
        for week in weeks:
            calls = sorted(groups[user_id].get(week, []), key=lambda r: r.scored_at, reverse=True)
            if not calls:
                continue
            values = {n: _mean([c.values.get(n) for c in calls]) for n in names}
            by_week[week].append(values)
            points.append(
                {
                    "week": week.isoformat(),
                    "calls": len(calls),
                    "call_ids": [c.call_id for c in calls[:MAX_CALL_IDS]],
                    "values": values,
                }
            )
        reps.append({"user_id": user_id, "points": points})

    team = [
        {
            "week": week.isoformat(),
            "reps": len(by_week.get(week, [])),
            "values": {n: _median([v[n] for v in by_week.get(week, [])]) for n in names},
        }
        for week in weeks
    ]
    return {
        "weeks": [w.isoformat() for w in weeks],
        "metrics": metric_catalog(),
        "team": team,
        "reps": reps,
    }
