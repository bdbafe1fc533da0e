"""Errors a client can act on; each carries its HTTP status and renders as the common JSON shape."""

from __future__ import annotations

from clashtor_common.errors import ApiError


class IngestError(ApiError):
    status_code: int = 400
    error_code: str = "bad_request"

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(self.status_code, self.error_code, message, headers)


class BadUpload(IngestError):
    """The request is not a usable upload (no file, empty file, not multipart)."""

    status_code, error_code = 400, "bad_upload"


class EmptyUpload(IngestError):
    status_code, error_code = 400, "empty_file"


class QuotaExceeded(IngestError):
    status_code, error_code = 402, "quota_exceeded"


class Forbidden(IngestError):
    status_code, error_code = 403, "forbidden"


class CallNotFound(IngestError):
    status_code, error_code = 404, "not_found"


class UploadTooLarge(IngestError):
    status_code, error_code = 413, "file_too_large"


class CallTooLong(IngestError):
    """The decoded audio is longer than ``INGEST_MAX_CALL_MINUTES``."""

    status_code, error_code = 413, "call_too_long"


class NotAudio(IngestError):
    status_code, error_code = 415, "unsupported_media_type"


class RangeNotSatisfiable(IngestError):
    status_code, error_code = 416, "range_not_satisfiable"


class UndecodableAudio(IngestError):
    status_code, error_code = 422, "undecodable_audio"


class InvalidParticipants(IngestError):
    status_code, error_code = 422, "invalid_participants"


class InvalidField(IngestError):
    status_code, error_code = 422, "invalid_field"
