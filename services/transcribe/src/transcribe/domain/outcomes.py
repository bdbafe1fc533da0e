"""What becomes of an uploaded call here, decided from facts only (no I/O).

A call is transcribed at most once. It is left alone when it was erased (a
tombstone, or an erasure of one of its subjects requested after the upload) or is
already transcribed; it is recorded as restricted, and not processed, when the
upload says so or a participant asked for restriction; otherwise it is transcribed.
A failed or restricted call may still be transcribed by a later upload event.
"""

from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    TRANSCRIBED = "transcribed"
    RESTRICTED = "restricted"
    FAILED = "failed"


class FailureCode(StrEnum):
    """``call-failed.code`` values this service emits (stage ``transcribe``)."""

    UNDECODABLE_AUDIO = "undecodable_audio"
    PROVIDER_FAILED = "provider_failed"
    AUDIO_GONE = "audio_gone"


class UploadDecision(StrEnum):
    SKIP_ERASED = "skip_erased"
    SKIP_DONE = "skip_done"
    RESTRICT = "restrict"
    TRANSCRIBE = "transcribe"


def decide_upload(*, erased: bool, existing: str | None, restricted: bool) -> UploadDecision:
    """``existing`` is the call's recorded status here, or None if it was never seen."""
    if erased:
        return UploadDecision.SKIP_ERASED
    if existing == CallStatus.TRANSCRIBED:
        return UploadDecision.SKIP_DONE
    if restricted:
        return UploadDecision.RESTRICT
    return UploadDecision.TRANSCRIBE
