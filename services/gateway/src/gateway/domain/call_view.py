"""One call as the public API shows it, assembled from ingest, transcribe and score.

Each owning service answers for its part; the gateway joins them. The status is
ingest's, as is: ingest's state machine is the one source of truth for a call's
status, so ``GET /v1/calls`` and ``GET /v1/calls/{id}`` always say the same (the detail
once derived it from which parts existed, and disagreed with the list whenever ingest
had not yet heard of a stage). A missing transcript or score is ``null``; speaker
roles come from score's ``roles`` mapping (speaker label → rep/customer), so a user's
correction shows everywhere at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _roles(score: Mapping[str, Any] | None) -> dict[int, str]:
    raw = (score or {}).get("roles") or {}
    roles: dict[int, str] = {}
    if isinstance(raw, Mapping):
        for speaker, role in raw.items():
            try:
                roles[int(speaker)] = str(role)
            except (TypeError, ValueError):
                continue
    return roles


def _transcript_body(transcript: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The transcript proper: the response itself or its ``transcript`` member."""
    if not transcript:
        return None
    inner = transcript.get("transcript")
    if isinstance(inner, Mapping):
        return inner
    return transcript if "utterances" in transcript else None


def _utterances(body: Mapping[str, Any], roles: Mapping[int, str]) -> list[dict[str, Any]]:
    out = []
    for utt in body.get("utterances") or []:
        speaker = utt.get("speaker")
        out.append(
            {
                "speaker": speaker,
                "role": roles.get(speaker) if isinstance(speaker, int) else None,
                "start": utt.get("start"),
                "end": utt.get("end"),
                "text": utt.get("text", ""),
                "words": [
                    {
                        "word": w.get("word", ""),
                        "start": w.get("start"),
                        "end": w.get("end"),
                        "confidence": w.get("confidence"),
                        "speaker": w.get("speaker", speaker),
                    }
                    for w in utt.get("words") or []
                ],
            }
        )
    return out


INTERNAL_PARTICIPANT_FIELDS = frozenset({"email_fingerprint"})
"""Kept by ingest for lookups; a keyed hash equal across organizations, so never public."""


def public_participants(people: Any) -> list[dict[str, Any]]:
    """A call's participants as the public API shows them (no internal lookup keys)."""
    return [
        {k: v for k, v in p.items() if k not in INTERNAL_PARTICIPANT_FIELDS}
        for p in people or []
        if isinstance(p, Mapping)
    ]


def assemble(
    call: Mapping[str, Any],
    transcript: Mapping[str, Any] | None,
    score: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """``{id, status, title, duration, participants, transcript, metrics, ...}``."""
    roles = _roles(score)
    body = _transcript_body(transcript)
    scored = score if score and score.get("status", "scored") == "scored" else None
    return {
        "id": str(call["id"]),
        "status": call["status"],  # ingest's, exactly as the list shows it
        "progress_percent": call.get("progress_percent"),
        "title": call.get("title"),
        "duration": call.get("duration"),
        "participants": public_participants(call.get("participants")),
        "created_at": call.get("created_at"),
        "uploader_id": call.get("uploader_id"),
        "failure": call.get("failure"),
        "transcript": {"utterances": _utterances(body, roles)} if body is not None else None,
        "metrics": (scored or {}).get("metrics"),
        "trackers": (scored or {}).get("trackers"),
        "scorecard": (scored or {}).get("scorecard"),
        "feedback": (scored or {}).get("feedback"),
    }
