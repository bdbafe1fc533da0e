"""The events an organization can subscribe to, and the payload each one carries.

Payloads follow the Standard Webhooks shape ``{type, timestamp, data}``. ``data``
holds ids, figures and a link, never names, emails or transcript text: a webhook
leaves Clashtor for a system we do not control, and erasure could not reach it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

CALL_SCORED = "call.scored"
CALL_FAILED = "call.failed"
PRIVACY_REQUEST_COMPLETED = "privacy.request.completed"
EVENT_TYPES: tuple[str, ...] = (CALL_SCORED, CALL_FAILED, PRIVACY_REQUEST_COMPLETED)


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}


def call_link(public_base_url: str, call_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/calls/{call_id}"


#: What each event's ``data`` looks like (Zapier's sample data and the API docs).
SAMPLES: dict[str, dict[str, Any]] = {
    CALL_SCORED: {
        "call_id": "3f1c1e1a-0000-4000-8000-000000000001",
        "uploader_id": "user-1",
        "overall_score": 72.5,
        "scorecard": "MEDDICC",
        "engine": "local",
        "trackers": ["Competitor mention"],
        "url": "https://app.example.com/calls/3f1c1e1a-0000-4000-8000-000000000001",
    },
    CALL_FAILED: {
        "call_id": "3f1c1e1a-0000-4000-8000-000000000002",
        "uploader_id": "user-1",
        "stage": "transcribe",
        "code": "undecodable_audio",
        "reason": "the audio could not be decoded",
        "url": "https://app.example.com/calls/3f1c1e1a-0000-4000-8000-000000000002",
    },
    PRIVACY_REQUEST_COMPLETED: {
        "request_id": "5d7e0c52-0000-4000-8000-000000000003",
        "kind": "erasure",
        "status": "completed",
        "subject_type": "user",
    },
}


def data(event_type: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An event's ``data``: exactly the fields its sample shows, taken from ``values``
    and ``extra`` (so nothing else an internal event carries leaves Clashtor)."""
    given = {**values, **extra}
    return {name: given[name] for name in SAMPLES[event_type]}
