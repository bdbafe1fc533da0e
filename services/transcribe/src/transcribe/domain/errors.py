"""Why a transcription can fail, in terms a handler can act on.

``UndecodableAudio`` is permanent: the same bytes will never decode, so handlers send
the event straight to the dead-letter topic and mark the call failed. A
``TranscriptionProviderError`` is raised after the provider kept failing through the
retries; a later redelivery may succeed.
"""

from __future__ import annotations


class TranscriptionError(Exception):
    """Base class for everything the transcription core raises on purpose."""

    code = "transcription_failed"


class UndecodableAudio(TranscriptionError):
    """The input is not audio we can decode: corrupt, truncated, empty or not audio."""

    code = "undecodable_audio"


class TranscriptionProviderError(TranscriptionError):
    """The external provider (Deepgram) failed, was rate limited, or timed out."""

    code = "provider_failed"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class CallErased(TranscriptionError):
    """The call was erased while it was transcribed: no key is made for its transcript."""

    code = "call_erased"
