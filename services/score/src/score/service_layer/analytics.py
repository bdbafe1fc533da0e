"""Team analytics: averages over scored calls, leaving out everyone who objected.

An objection (``subject-restricted`` with ``objected``) on a call, a participant (by
fingerprint or id), a user (their uploads) or the whole organization removes the calls
it covers from every aggregate here. Only numbers are aggregated; no transcript content
is read.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any

from score.adapters.repository import ScoreRepository

_COLUMNS = ("overall_score", "talk_ratio_rep", "rep_questions", "longest_monologue_s", "patience_s")


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 3) if present else None


async def team_summary(repo: ScoreRepository, uploaders: frozenset[str] | None) -> dict[str, Any]:
    rows = await repo.scored_call_numbers(uploaders)
    objections = await repo.objections()
    if any(o.kind == "org" for o in objections):
        rows = []
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
    kept = [r for r in rows if r[0] not in excluded_calls and r[1] not in excluded_users]

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
