"""Stream a multipart upload from the request body: to disk, hashed, to a sink, probed.

Starlette's form parser spools a whole file before the handler sees it, so a 5 GB
upload fills the disk before anyone can say 413. This reader feeds the body to
python-multipart as it arrives and stops at the first byte over the size limit. The
form itself (how many parts, how large the text fields) is policed by
``clashtor_common.multipart``, the same reader the gateway runs over the stream it
forwards.

Everything the upload needs is done while the rest still arrives, in one pass over
the bytes (issue 20: an upload used to be spooled, then probed, then read again to be
encrypted and put, one step after another):

- the file part is cut into segments of ``SEGMENT`` bytes; each is written to the
  temporary file and added to the sha256 in a worker thread (both release the GIL)
  while the next segment is being received;
- each segment also goes to the ``sink`` (ingest's encrypted multipart upload), which
  sends parts to S3 while the body is still arriving;
- ``probe_audio`` runs in its own thread over the temporary file as it grows
  (``GrowingFile``: a read past what has arrived waits for it), so the upload is
  measured by the time its last byte is in, not in a second pass afterwards (only a
  file that cannot be read front to back, an MP4 with its index at the end, or bytes
  the probe refuses, are probed again once complete).

The temporary file is removed when the context exits, whatever happened; the threads
are finished with first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from clashtor_common.arrival import ArrivedTooSlowly, arriving_in_time
from clashtor_common.multipart import FormLimits, FormReader, form_boundary
from ingest.adapters.audio_probe import AudioProbe, probe_audio, sniff_audio_signature
from ingest.domain.errors import BadUpload, UploadTimedOut, UploadTooLarge

FILE_FIELD = "file"
#: The text fields an upload may carry; any other part is counted but never kept.
TEXT_FIELDS = frozenset({"title", "participants", "language"})
#: File bytes handed on at a time (to the spool thread and the sink).
SEGMENT = 1024 * 1024
#: Bytes that tell the container (``sniff_audio_signature``).
HEAD = 16

T = TypeVar("T")


class FileSink(Protocol):
    """Takes the file part's bytes in order, as they arrive."""

    async def write(self, data: bytes) -> None: ...


@dataclass
class SpooledUpload:
    """What the form carried: small text fields, and the file on disk with its sha256."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    filename: str | None = None
    probing: asyncio.Future[AudioProbe | None] | None = None
    """The probe of the file, running since its first bytes (when one was asked for)."""
    probe_seconds: float = float("inf")

    async def probe(self) -> AudioProbe:
        """The probe that ran while the file arrived; if that one could not decide, the
        complete file's (raising ``NotAudio``/``UndecodableAudio`` for bad bytes)."""
        assert self.probing is not None and self.path is not None, "nothing to probe"
        found = await asyncio.shield(self.probing)
        if found is None:
            found = await asyncio.to_thread(probe_audio, self.path, self.probe_seconds)
        return found


class _TooLarge(Exception):
    pass


class _Spool:
    """The file part on disk as it grows, with its sha256; ``GrowingFile`` reads it."""

    def __init__(self, fd: int, path: Path) -> None:
        self.path = path
        self.hasher = hashlib.sha256()
        self.written = 0
        self.ended = False
        self.aborted = False
        self._fd: int | None = fd
        self._changed = threading.Condition()

    def append(self, data: bytes) -> None:
        """Runs in a worker thread, one segment after another."""
        with self._changed:
            if self._fd is None:
                return
            fd = self._fd
        self.hasher.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        with self._changed:
            self.written += len(data)
            self._changed.notify_all()

    def end(self) -> None:
        """No more bytes will come: readers get end-of-file past ``written``."""
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def abort(self) -> None:
        """Readers get end-of-file at once: nobody waits for what they would read."""
        self.aborted = True
        self.end()

    def close(self) -> None:
        self.abort()
        with self._changed:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def wait_for(self, position: int, *, to_end: bool = False) -> int:
        """Bytes on disk once more than ``position`` are there (or, ``to_end``, once
        the file is complete), or once it has ended."""
        with self._changed:
            while not self.ended and (to_end or self.written <= position):
                self._changed.wait()
            return self.written


class GrowingFile:
    """A read-only stream over the spool while it is still written (for PyAV in another
    thread): a read past the bytes received waits for more; end-of-file comes once the
    upload has ended.

    Deliberately not seekable: FFmpeg's demuxers seek ahead on a seekable input (WAV
    looks for chunks after its audio, MP3 for tags at the end), which would make the
    probe wait for the last byte before decoding the first. A file that can only be
    read seeking (an MP4 whose index is at its end) fails here and is probed again
    once complete (``SpooledUpload.probe``)."""

    def __init__(self, spool: _Spool) -> None:
        self._spool = spool
        self._fd: int | None = os.open(spool.path, os.O_RDONLY)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        available = self._spool.wait_for(self._pos, to_end=size < 0) - self._pos
        if available <= 0 or self._fd is None or self._spool.aborted:
            return b""
        data = os.pread(self._fd, available if size < 0 else min(size, available), self._pos)
        self._pos += len(data)
        return data

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


#: Containers whose probe front to back gives exactly what the finished file's does
#: (``tests/unit/test_upload_spool.py`` compares every format). MP3 is not among them:
#: read as a stream, its encoder-delay frame counts as audio; MP4 keeps its index at
#: the end. Those are probed once complete, as before.
STREAMED_PROBE = frozenset({"wav", "ogg", "flac", "webm"})


def _probe_growing(spool: _Spool, max_seconds: float) -> AudioProbe | None:
    """The probe of the upload as it arrives; None when it must see the whole file (or
    when it fails: the probe of the whole file then says why, as it always did)."""
    spool.wait_for(HEAD - 1)
    with open(spool.path, "rb") as head:
        if sniff_audio_signature(head.read(HEAD)) not in STREAMED_PROBE:
            return None
    source = GrowingFile(spool)
    try:
        return probe_audio(source, max_seconds)  # type: ignore[arg-type]
    except Exception:  # judged again on the complete file
        return None
    finally:
        source.close()


def in_own_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run ``fn`` in a thread of its own, not the shared pool: a probe waits for bytes
    that pool threads write, so a pool full of waiting probes would never get them."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name="ingest-upload-probe", daemon=True).start()
    return future


async def arriving_within(body: AsyncIterable[bytes], seconds: float) -> AsyncIterator[bytes]:
    """``body``'s chunks, as long as the whole of it arrives within ``seconds`` of the
    first ask; past that ``UploadTimedOut`` (408). Time spent handing chunks on (to S3)
    counts too: what is bounded is the age of the upload's multipart upload, which the
    orphan sweep aborts once older than its grace."""
    try:
        async for chunk in arriving_in_time(body, total_seconds=seconds):
            yield chunk
    except ArrivedTooSlowly as exc:
        raise UploadTimedOut(str(exc)) from exc


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
    sink: FileSink | None = None,
    probe_seconds: float | None = None,
) -> AsyncIterator[SpooledUpload]:
    """Parse the body; yields the upload with its file on disk, removed afterwards.

    The form's parts and text fields are limited as they arrive (``form_limits``,
    ``clashtor_common.multipart``): a hostile form is refused after a few of its parts,
    never buffered. ``sink`` gets the file's bytes as they arrive; with
    ``probe_seconds`` the file is probed meanwhile (decoding at most that many seconds),
    ``SpooledUpload.probe`` gives the result.
    """
    boundary = boundary_of(content_type)
    fd, name = tempfile.mkstemp(prefix="ingest-upload-", dir=temp_dir)
    path = Path(name)
    spool = _Spool(fd, path)
    upload = SpooledUpload()
    segment = bytearray()
    spooling: asyncio.Future[None] | None = None
    try:
        if probe_seconds is not None:
            budget = upload.probe_seconds = probe_seconds
            upload.probing = in_own_thread(lambda: _probe_growing(spool, budget))

        def write(piece: bytes) -> None:
            upload.size += len(piece)
            if upload.size > limit_bytes:
                raise _TooLarge
            segment.extend(piece)

        async def hand_on() -> None:
            """The segment to disk and hash (thread) and to the sink, while the next
            one is received; the previous one's disk write is waited for first."""
            nonlocal spooling
            data = bytes(segment)
            segment.clear()
            if spooling is not None:
                await asyncio.shield(spooling)  # a cancelled wait must not orphan the thread
            spooling = asyncio.ensure_future(asyncio.to_thread(spool.append, data))
            if sink is not None:
                await sink.write(data)

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
                if len(segment) >= SEGMENT:
                    await hand_on()
            reader.finish()
        except _TooLarge as exc:
            raise UploadTooLarge(f"the file is larger than the {limit_label} upload limit") from exc
        if segment:
            await hand_on()
        if spooling is not None:
            await asyncio.shield(spooling)
        spool.end()
        upload.fields = reader.fields
        upload.filename = reader.filename
        if reader.has_file:
            upload.path = path
            upload.sha256 = spool.hasher.hexdigest()
        yield upload
    finally:
        spool.abort()
        if spooling is not None:
            await asyncio.wait([spooling])
        if upload.probing is not None:
            await asyncio.wait([upload.probing])
            if not upload.probing.cancelled():
                upload.probing.exception()  # retrieved: a refused upload's probe may fail
        spool.close()
        path.unlink(missing_ok=True)
