"""An organization's coaching configuration: its trackers and scorecards.

Trackers: until an organization touches them it scores with the built-in defaults; the
first tracker request copies the defaults into rows it owns and can edit or delete.
Scorecards: an organization creates them from a template (MEDDIC, BANT) or from its own
items and activates one; with none active, calls are scored with the MEDDIC template.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clashtor_common.db import utcnow
from clashtor_common.domain_errors import Conflict, InvalidInput, NotFound
from score.adapters.repository import ScoreRepository
from score.adapters.tables import OrgScoringRecord, ScorecardRecord, TrackerRecord
from score.domain.scorecard_templates import TEMPLATES, meddic_template
from score.domain.scorecards import Scorecard
from score.domain.trackers import Tracker, default_trackers

DEFAULT_TEMPLATE = "meddic"


@dataclass(frozen=True)
class ScoringConfig:
    """What a call of the organization is scored with right now."""

    trackers: list[Tracker]
    scorecard: Scorecard


def invalid(exc: ValidationError, what: str) -> InvalidInput:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return InvalidInput(f"invalid {what}: " + "; ".join(parts), "validation_error")


# trackers -------------------------------------------------------------------------------
def tracker_of(rec: TrackerRecord) -> Tracker:
    return Tracker(
        id=rec.id,
        org_id=rec.org_id,
        name=rec.name,
        phrases=tuple(rec.phrases),
        enabled=rec.enabled,
        said_by=rec.said_by,  # type: ignore[arg-type]
    )


def tracker_view(rec: TrackerRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "name": rec.name,
        "phrases": list(rec.phrases),
        "enabled": rec.enabled,
        "said_by": rec.said_by,
        "created_at": rec.created_at.isoformat() if rec.created_at else None,
        "updated_at": rec.updated_at.isoformat() if rec.updated_at else None,
    }


async def org_trackers(repo: ScoreRepository) -> list[Tracker]:
    """The trackers calls are scored with: the org's own, or the defaults if it has none."""
    org = await repo.org()
    if org is None or not org.own_trackers:
        return default_trackers(repo.org_id)
    return [tracker_of(r) for r in await repo.trackers()]


def _tracker_record(org_id: str, tracker: Tracker, position: int) -> TrackerRecord:
    return TrackerRecord(
        id=str(uuid.uuid4()),
        org_id=org_id,
        name=tracker.name,
        name_key=tracker.name.casefold(),
        phrases=list(tracker.phrases),
        enabled=tracker.enabled,
        said_by=tracker.said_by,
        position=position,
    )


async def _save(
    repo: ScoreRepository, rec: TrackerRecord | ScorecardRecord | OrgScoringRecord
) -> None:
    """Stamp an edited row's ``updated_at`` and write it in the unit of work."""
    rec.updated_at = utcnow()
    repo.session.add(rec)
    await repo.session.flush()


async def tracker_rows(repo: ScoreRepository) -> list[TrackerRecord]:
    """The org's tracker rows to read: no lock once the org owns them (``own_trackers``
    copies them, under the org's lock, the first time)."""
    org = await repo.org()
    if org is not None and org.own_trackers:
        return await repo.trackers()
    return await own_trackers(repo)


async def own_trackers(repo: ScoreRepository) -> list[TrackerRecord]:
    """The org's tracker rows, copied from the defaults the first time they are asked for;
    the org's row stays locked until the transaction ends, so a read-modify-write of the
    trackers (positions, unique names) sees every write committed before it."""
    org = await repo.org_for_update()
    if not org.own_trackers:
        for position, tracker in enumerate(default_trackers(repo.org_id)):
            repo.session.add(_tracker_record(repo.org_id, tracker, position))
        org.own_trackers = True
        org.updated_at = utcnow()
        await repo.session.flush()
    return await repo.trackers()


READ_ONLY = frozenset({"id", "org_id", "created_at", "updated_at"})
"""Fields of a view a client may send back unchanged; they are ignored."""


def _validated_tracker(body: Mapping[str, Any], org_id: str) -> Tracker:
    values = {k: v for k, v in body.items() if k not in READ_ONLY}
    try:
        return Tracker.model_validate({**values, "org_id": org_id})
    except ValidationError as exc:
        raise invalid(exc, "tracker") from exc


def _ensure_unique_name(
    name: str, existing: list[TrackerRecord], except_id: str | None = None
) -> None:
    key = name.casefold()
    for rec in existing:
        if rec.name_key == key and rec.id != except_id:
            raise Conflict(f"a tracker named {rec.name!r} already exists")


async def create_tracker(repo: ScoreRepository, body: Mapping[str, Any]) -> TrackerRecord:
    tracker = _validated_tracker(body, repo.org_id)
    existing = await own_trackers(repo)
    _ensure_unique_name(tracker.name, existing)
    rec = _tracker_record(repo.org_id, tracker, max((r.position for r in existing), default=-1) + 1)
    repo.session.add(rec)
    await repo.session.flush()
    return rec


def _find_tracker(existing: list[TrackerRecord], tracker_id: str) -> TrackerRecord:
    rec = next((r for r in existing if r.id == tracker_id), None)
    return NotFound.unless(rec, "tracker", tracker_id)


async def update_tracker(
    repo: ScoreRepository, tracker_id: str, body: Mapping[str, Any]
) -> TrackerRecord:
    existing = await own_trackers(repo)
    rec = _find_tracker(existing, tracker_id)
    current = {
        "name": rec.name,
        "phrases": rec.phrases,
        "enabled": rec.enabled,
        "said_by": rec.said_by,
    }
    tracker = _validated_tracker({**current, **body}, repo.org_id)
    _ensure_unique_name(tracker.name, existing, except_id=rec.id)
    rec.name = tracker.name
    rec.name_key = tracker.name.casefold()
    rec.phrases = list(tracker.phrases)
    rec.enabled = tracker.enabled
    rec.said_by = tracker.said_by
    await _save(repo, rec)
    return rec


async def delete_tracker(repo: ScoreRepository, tracker_id: str) -> None:
    existing = await own_trackers(repo)
    rec = _find_tracker(existing, tracker_id)
    await repo.session.delete(rec)
    await repo.session.flush()


# scorecards -----------------------------------------------------------------------------
def scorecard_of(rec: ScorecardRecord) -> Scorecard:
    return Scorecard.model_validate(
        {
            "id": rec.id,
            "org_id": rec.org_id,
            "name": rec.name,
            "methodology": rec.methodology,
            "version": rec.version,
            "items": rec.items,
        }
    )


def scorecard_view(rec: ScorecardRecord, *, active_id: str | None) -> dict[str, Any]:
    return {
        "id": rec.id,
        "name": rec.name,
        "methodology": rec.methodology,
        "template": rec.template,
        "version": rec.version,
        "active": rec.id == active_id,
        "items": rec.items,
        "created_at": rec.created_at.isoformat() if rec.created_at else None,
        "updated_at": rec.updated_at.isoformat() if rec.updated_at else None,
    }


def template_views() -> list[dict[str, Any]]:
    out = []
    for key, make in TEMPLATES.items():
        card = make(None)
        out.append(
            {
                "key": key,
                "name": card.name,
                "methodology": card.methodology,
                "default": key == DEFAULT_TEMPLATE,
                "items": [item.model_dump(mode="json") for item in card.items],
            }
        )
    return out


async def active_scorecard(repo: ScoreRepository) -> Scorecard:
    org = await repo.org()
    if org is not None and org.active_scorecard_id:
        rec = await repo.scorecard(org.active_scorecard_id)
        if rec is not None:
            return scorecard_of(rec)
    return meddic_template(repo.org_id)


async def scoring_config(repo: ScoreRepository) -> ScoringConfig:
    return ScoringConfig(trackers=await org_trackers(repo), scorecard=await active_scorecard(repo))


async def scorecard_for_rescore(repo: ScoreRepository, scorecard_id: str | None) -> Scorecard:
    """The scorecard a call was scored with, if it still exists; else the active one."""
    if scorecard_id:
        rec = await repo.scorecard(scorecard_id)
        if rec is not None:
            return scorecard_of(rec)
    return await active_scorecard(repo)


def _validated_scorecard(values: Mapping[str, Any], org_id: str) -> Scorecard:
    try:
        return Scorecard.model_validate({**values, "org_id": org_id})
    except ValidationError as exc:
        raise invalid(exc, "scorecard") from exc


_EDITABLE = ("name", "methodology", "items")


async def create_scorecard(repo: ScoreRepository, body: Mapping[str, Any]) -> ScorecardRecord:
    """From ``template`` (copied, optionally renamed) or from the caller's own ``items``."""
    unknown = set(body) - {"template", "activate", *_EDITABLE}
    if unknown:
        raise InvalidInput(f"unknown scorecard fields: {sorted(unknown)}", "validation_error")
    template = body.get("template")
    if template is not None:
        make = TEMPLATES.get(str(template).lower())
        if make is None:
            raise InvalidInput(
                f"unknown template {template!r}; available: {', '.join(TEMPLATES)}",
                "validation_error",
            )
        base = make(repo.org_id).model_dump(mode="json", exclude={"id", "org_id", "version"})
        values = {**base, **{k: body[k] for k in _EDITABLE if k in body}}
    else:
        if "items" not in body:
            raise InvalidInput(
                f"a scorecard needs a template ({', '.join(TEMPLATES)}) or its own items",
                "validation_error",
            )
        values = {k: body[k] for k in _EDITABLE if k in body}
    card = _validated_scorecard(values, repo.org_id)
    rec = ScorecardRecord(
        id=str(uuid.uuid4()),
        org_id=repo.org_id,
        name=card.name,
        methodology=card.methodology,
        template=str(template).lower() if template is not None else None,
        version=1,
        items=[item.model_dump(mode="json") for item in card.items],
    )
    repo.session.add(rec)
    await repo.session.flush()
    if body.get("activate"):
        await activate_scorecard(repo, rec.id)
    return rec


async def _scorecard(repo: ScoreRepository, scorecard_id: str) -> ScorecardRecord:
    return NotFound.unless(await repo.scorecard(scorecard_id), "scorecard", scorecard_id)


async def update_scorecard(
    repo: ScoreRepository, scorecard_id: str, body: Mapping[str, Any]
) -> ScorecardRecord:
    """Edit name, methodology and/or items; any change is a new version."""
    rec = await _scorecard(repo, scorecard_id)
    unknown = set(body) - {*_EDITABLE, *READ_ONLY, "version", "template", "active"}
    if unknown:
        raise InvalidInput(f"unknown scorecard fields: {sorted(unknown)}", "validation_error")
    current = {"name": rec.name, "methodology": rec.methodology, "items": rec.items}
    changes = {k: body[k] for k in _EDITABLE if k in body}
    card = _validated_scorecard({**current, **changes}, repo.org_id)
    items = [item.model_dump(mode="json") for item in card.items]
    if (card.name, card.methodology, items) != (rec.name, rec.methodology, rec.items):
        rec.name, rec.methodology, rec.items = card.name, card.methodology, items
        rec.version += 1
        await _save(repo, rec)
    return rec


async def activate_scorecard(repo: ScoreRepository, scorecard_id: str) -> ScorecardRecord:
    # the org's row first, as delete_scorecard: a card deleted meanwhile is not found
    org = await repo.org_for_update()
    rec = await _scorecard(repo, scorecard_id)
    org.active_scorecard_id = rec.id
    await _save(repo, org)
    return rec


async def delete_scorecard(repo: ScoreRepository, scorecard_id: str) -> None:
    """Past results keep their copy; an active scorecard's org falls back to MEDDIC.

    The org's row is locked first (as ``activate_scorecard`` does), so an activation at
    the same moment either lands before (and is undone here) or finds the card gone."""
    org = await repo.org_for_update()
    rec = await _scorecard(repo, scorecard_id)
    if org.active_scorecard_id == rec.id:
        org.active_scorecard_id = None
        org.updated_at = utcnow()
        repo.session.add(org)
    await repo.session.delete(rec)
    await repo.session.flush()


async def active_id(repo: ScoreRepository) -> str | None:
    org = await repo.org()
    return org.active_scorecard_id if org else None
