"""Team analytics: averages over scored calls, leaving out everyone who objected.

An objection (``subject-restricted`` with ``objected``) on a call, a participant (by
fingerprint or id), a user (their uploads) or the whole organization removes the calls
it covers from every aggregate here. Only numbers are aggregated; no transcript content
is read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import fmean
from typing import Any

from score.adapters.repository import ScoreRepository
from score.domain.trends import TrendRow, recent_weeks, weekly_trends

_COLUMNS = ("overall_score", "talk_ratio_rep", "rep_questions", "longest_monologue_s", "patience_s")


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 3) if present else None


Row = tuple[Any, ...]
"""(call id, uploader, overall score, talk ratio, questions, monologue, patience, scored at)."""


async def _kept_rows(repo: ScoreRepository, uploaders: frozenset[str] | None) -> list[Row]:
    """The scored calls the caller may see, less every call an objection covers."""
    rows = await repo.scored_call_numbers(uploaders)
    objections = await repo.objections()
    if any(o.kind == "org" for o in objections):
        return []
    objected = {(o.kind, o.value) for o in objections}
    excluded_calls = {v for k, v in objected if k == "call"}
    excluded_users = {v for k, v in objected if k == "user"}
    people = {(k, v) for k, v in objected if k in ("fingerprint", "participant")}
    if people and rows:
        for p in await repo.participants_of([r[0] for r in rows]):
            if ("fingerprint", p.fingerprint) in people or ("participant", p.participant_id) in (
                people
            ):
                excluded_calls.add(p.call_id)
    return [r for r in rows if r[0] not in excluded_calls and r[1] not in excluded_users]


async def team_summary(repo: ScoreRepository, uploaders: frozenset[str] | None) -> dict[str, Any]:
    kept = await _kept_rows(repo, uploaders)

    per_rep: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in kept:
        per_rep[row[1]].append(row)

    def averages(group: list[tuple[Any, ...]]) -> dict[str, float | None]:
        return {
            f"average_{name}": _mean([r[i + 2] for r in group]) for i, name in enumerate(_COLUMNS)
        }

    return {
        "calls": len(kept),
        **averages(kept),
        "reps": [
            {"user_id": user, "calls": len(group), **averages(group)}
            for user, group in sorted(per_rep.items())
        ],
    }


async def team_trends(
    repo: ScoreRepository, uploaders: frozenset[str] | None, *, weeks: int, today: date
) -> dict[str, Any]:
    """Each rep's weekly means and the team's median over the last ``weeks`` weeks
    (``score.domain.trends``), with the same objections left out as the summary."""
    rows = [
        TrendRow(
            call_id=r[0],
            uploader_id=r[1],
            scored_at=r[7],
            values=dict(zip(_COLUMNS, r[2:7], strict=True)),
        )
        for r in await _kept_rows(repo, uploaders)
        if r[7] is not None
    ]
    return weekly_trends(rows, recent_weeks(today, weeks))
