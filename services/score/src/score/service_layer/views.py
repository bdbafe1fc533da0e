"""A call's score as the internal API shows it (the gateway joins it into ``GET /v1/calls/{id}``)."""

from __future__ import annotations

from typing import Any

from score.adapters.tables import CallScoreRecord


def score_view(rec: CallScoreRecord, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` is the stored ``CallScore`` as JSON (empty for a call that failed)."""
    feedback = result.get("feedback") or {}
    return {
        "call_id": rec.call_id,
        "status": rec.status,
        "uploader_id": rec.uploader_id,
        "failure": {"code": rec.failure_code, "reason": rec.failure_reason}
        if rec.status == "failed"
        else None,
        "roles": {str(k): v for k, v in (result.get("roles") or {}).items()},
        "role_basis": {str(k): v for k, v in (result.get("role_basis") or {}).items()},
        "role_override": rec.role_override,
        "metrics": result.get("metrics"),
        "trackers": result.get("trackers"),
        "scorecard": result.get("scorecard"),
        "feedback": result.get("feedback"),
        "overall_score": rec.overall_score,
        "automatic_score": rec.automatic_score,
        "engine": feedback.get("engine"),
        "model": feedback.get("model"),
        "fallback_reason": feedback.get("fallback_reason"),
        "scorer_version": result.get("scorer_version"),
        "times_scored": rec.times_scored,
        "scored_at": rec.scored_at.isoformat() if rec.scored_at else None,
    }
