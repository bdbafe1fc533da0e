"""Errors a client can act on, in ingest's words; each derives from a common kind.

The kind (``clashtor_common.domain_errors``) decides the HTTP status, in the HTTP
error handlers only; ``code`` is what the client reads.
"""

from __future__ import annotations

from clashtor_common import domain_errors as kinds


class IngestError(kinds.DomainError):
    """The request is not one ingest can carry out (400 unless a kind says otherwise)."""


class BadUpload(IngestError):
    """The request is not a usable upload (no file, empty file, not multipart)."""

    code = "bad_upload"


class EmptyUpload(IngestError):
    code = "empty_file"


class QuotaExceeded(IngestError, kinds.LimitReached):
    code = "quota_exceeded"


class Forbidden(IngestError, kinds.Forbidden):
    code = "forbidden"


class UploaderErased(IngestError, kinds.Gone):
    """The uploader was erased: nothing is recorded in their name any more."""

    code = "uploader_erased"


class OrganizationErased(IngestError, kinds.Gone):
    """The organization was erased: nothing is recorded in it any more."""

    code = "organization_erased"


class SourceErased(IngestError, kinds.Gone):
    """The call made from this source (a Zoom recording) was erased: it is not made again."""

    code = "source_erased"


class SourceTaken(IngestError, kinds.Conflict):
    """A call another uploader may not show this one was made from the same source."""

    code = "source_taken"


class CallNotFound(IngestError, kinds.NotFound):
    code = "not_found"


class UploadTooLarge(IngestError, kinds.TooLarge):
    code = "file_too_large"


class UploadTimedOut(IngestError, kinds.TimedOut):
    """The upload took longer than ``INGEST_UPLOAD_MAX_SECONDS`` to arrive."""

    code = "upload_timeout"


class CallTooLong(IngestError, kinds.TooLarge):
    """The decoded audio is longer than ``INGEST_MAX_CALL_MINUTES``."""

    code = "call_too_long"


class NotAudio(IngestError, kinds.UnsupportedFormat):
    code = "unsupported_media_type"


class UndecodableAudio(IngestError, kinds.InvalidInput):
    code = "undecodable_audio"


class InvalidParticipants(IngestError, kinds.InvalidInput):
    code = "invalid_participants"


class InvalidField(IngestError, kinds.InvalidInput):
    code = "invalid_field"


class PlaylistNotFound(IngestError, kinds.NotFound):
    code = "not_found"


class StaleOrder(IngestError, kinds.Conflict):
    """A reorder that does not name exactly the playlist's items (it changed meanwhile)."""

    code = "stale_order"


class PlaylistFull(IngestError, kinds.Conflict):
    code = "playlist_full"
