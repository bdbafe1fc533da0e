"""What the internal API returns for a call (decrypted for the caller, never for events)."""

from __future__ import annotations

from typing import Any

from clashtor_common.datakeys import Sealer
from clashtor_common.db import as_utc
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.service_layer.personal import open_participant, open_title


def iso_time(value: Any) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def call_view(
    sealer: Sealer, call: CallRecord, participants: list[ParticipantRecord]
) -> dict[str, Any]:
    failure = None
    if call.status == "failed":
        failure = {
            "stage": call.failed_stage,
            "code": call.failure_code,
            "reason": call.failure_reason,
        }
    return {
        "id": call.id,
        "status": call.status,
        "progress_percent": call.progress_percent,
        "title": open_title(sealer, call),
        "uploader_id": call.uploader_id,
        "duration": call.duration,
        "channels": call.channels,
        "sample_rate": call.sample_rate,
        "format": call.audio_format,
        "source_format": call.source_format,
        "codec": call.codec,
        "content_type": call.content_type,
        "size_bytes": call.size_bytes,
        "upload_bytes": call.upload_bytes,
        "processing_restricted": call.processing_restricted,
        "language": call.language,
        "participants": [open_participant(sealer, p) for p in participants],
        "failure": failure,
        "created_at": iso_time(call.created_at),
        "updated_at": iso_time(call.updated_at),
        "transcribed_at": iso_time(call.transcribed_at),
        "scored_at": iso_time(call.scored_at),
        "overall_score": call.overall_score,
    }
