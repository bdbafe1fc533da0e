"""Stream a multipart upload straight from the request body to a temporary file.

Starlette's form parser spools a whole file before the handler sees it, so a 5 GB
upload fills the disk before anyone can say 413. This reader feeds the body to
python-multipart as it arrives, writes the file part to disk while hashing it, and
stops at the first byte over the size limit. The temporary file is removed when the
context exits, whatever happened.

File data is written from the parser callback synchronously: a 64 KB write into the
page cache costs microseconds, less than handing it to a thread would. The form itself
(how many parts, how large the text fields) is policed by ``clashtor_common.multipart``,
the same reader the gateway runs over the stream it forwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from clashtor_common.multipart import FormLimits, FormReader, form_boundary
from ingest.domain.errors import BadUpload, UploadTooLarge

FILE_FIELD = "file"
#: The text fields an upload may carry; any other part is counted but never kept.
TEXT_FIELDS = frozenset({"title", "participants", "language"})


@dataclass
class SpooledUpload:
    """What the form carried: small text fields, and the file on disk with its sha256."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    filename: str | None = None


class _TooLarge(Exception):
    pass


def boundary_of(content_type: str | None) -> bytes:
    boundary = form_boundary(content_type)
    if boundary is None:
        raise BadUpload(
            "send the call as multipart/form-data with a 'file' part "
            "(and optional 'title' and 'participants' parts)"
        )
    return boundary


@contextlib.asynccontextmanager
async def spool_upload(
    content_type: str | None,
    body: AsyncIterable[bytes],
    *,
    limit_bytes: int,
    limit_label: str,
    form_limits: FormLimits | None = None,
    temp_dir: str | None = None,
) -> AsyncIterator[SpooledUpload]:
    """Parse the body; yields the upload with its file on disk, removed afterwards.

    The form's parts and text fields are limited as they arrive (``form_limits``,
    ``clashtor_common.multipart``): a hostile form is refused after a few of its parts,
    never buffered.
    """
    boundary = boundary_of(content_type)
    fd, name = tempfile.mkstemp(prefix="ingest-upload-", dir=temp_dir)
    path = Path(name)
    upload = SpooledUpload()
    hasher = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as sink:

            def write(piece: bytes) -> None:
                upload.size += len(piece)
                if upload.size > limit_bytes:
                    raise _TooLarge
                hasher.update(piece)
                sink.write(piece)

            reader = FormReader(
                boundary,
                form_limits or FormLimits(),
                file_field=FILE_FIELD,
                keep=TEXT_FIELDS,
                on_file_data=write,
            )
            try:
                async for chunk in body:
                    reader.feed(chunk)
                reader.finish()
            except _TooLarge as exc:
                raise UploadTooLarge(
                    f"the file is larger than the {limit_label} upload limit"
                ) from exc
        upload.fields = reader.fields
        upload.filename = reader.filename
        if reader.has_file:
            upload.path = path
            upload.sha256 = hasher.hexdigest()
        yield upload
    finally:
        path.unlink(missing_ok=True)
