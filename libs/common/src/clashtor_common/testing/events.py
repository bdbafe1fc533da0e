"""Builders of event payloads for tests: one place that knows every required field."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from clashtor_common.events import (
    CallTranscribed,
    CallUploaded,
    ErasureRequested,
    ObjectRef,
    ParticipantRef,
    Subject,
)
from clashtor_common.events.schemas import SubjectType


def new_org() -> str:
    """An organization id no other test uses (test modules share one broker and database)."""
    return f"org-{uuid.uuid4().hex[:12]}"


def call_uploaded(
    call_id: str,
    *,
    uploader_id: str = "rep-1",
    participants: Sequence[ParticipantRef] = (),
    **fields: Any,
) -> CallUploaded:
    """A one-minute mono WAV call as ingest announces it; ``fields`` override the rest."""
    values: dict[str, Any] = {
        "call_id": call_id,
        "uploader_id": uploader_id,
        "audio": ObjectRef(bucket="clashtor-ingest", key=f"audio/{call_id}"),
        "audio_format": "wav",
        "duration": 60.0,
        "channels": 1,
        "sample_rate": 16000,
        "size_bytes": 1000,
        "participants": list(participants),
    }
    return CallUploaded(**{**values, **fields})


def comment_body(*parts: str | tuple[str, str]) -> dict[str, Any]:
    """A comment body as the API takes it: strings are text, ``("@", user_id)`` a mention."""
    return {
        "segments": [
            {"type": "mention", "user_id": p[1]}
            if isinstance(p, tuple)
            else {"type": "text", "text": p}
            for p in parts
        ]
    }


def call_transcribed(call_id: str, **fields: Any) -> CallTranscribed:
    """A short two-speaker transcript as transcribe announces it; ``fields`` override."""
    values: dict[str, Any] = {
        "call_id": call_id,
        "uploader_id": "user-1",
        "transcript": ObjectRef(bucket="transcribe", key=f"transcripts/{call_id}.json.enc"),
        "engine": "local",
        "model": "tiny.en",
        "language": "en",
        "duration": 1.0,
        "channels": 1,
        "speakers": 2,
        "word_count": 10,
    }
    return CallTranscribed(**{**values, **fields})


def erasure_requested(
    subject: Subject | SubjectType,
    id: str | None = None,
    *,
    fingerprint: str | None = None,
    request_id: str | None = None,
    **fields: Any,
) -> ErasureRequested:
    """Privacy's request to erase ``subject`` (a ``Subject``, or its type with ``id`` and
    ``fingerprint``), under a fresh request id unless one is named; ``fields`` add the
    rest (``services``, ``attempt``)."""
    if not isinstance(subject, Subject):
        subject = Subject(type=subject, id=id, fingerprint=fingerprint)
    elif id is not None or fingerprint is not None:
        raise TypeError("id and fingerprint go with a subject type, not with a Subject")
    return ErasureRequested(request_id=request_id or str(uuid.uuid4()), subject=subject, **fields)
