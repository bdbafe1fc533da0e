"""The multipart body is streamed to disk, hashed, and cut off at the size limit."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from clashtor_common.multipart import FormLimits, FormTooLarge, MalformedForm
from ingest.adapters.audio_probe import probe_audio
from ingest.adapters.upload_spool import SEGMENT, SpooledUpload, spool_upload
from ingest.domain.errors import BadUpload, UploadTooLarge

from ..audio_samples import FORMATS, sample_call, tone_bytes


def encode_form(fields: dict[str, str], file: bytes | None) -> tuple[str, bytes]:
    """A multipart body as httpx sends it (a form without ``file`` carries another part)."""
    files = (
        {"file": ("call.wav", file, "audio/wav")} if file is not None else {"other": ("x", b"x")}
    )
    request = httpx.Request("POST", "http://x/", data=fields, files=files)
    return request.headers["content-type"], request.read()


async def trickle(body: bytes, piece: int = 7_000) -> AsyncIterator[bytes]:
    for start in range(0, len(body), piece):
        yield body[start : start + piece]


async def test_the_file_lands_on_disk_with_its_sha256_and_the_fields(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    content_type, body = encode_form({"title": "Q3 renewal", "participants": "[]"}, data)
    async with spool_upload(
        content_type,
        trickle(body),
        limit_bytes=1_000_000,
        limit_label="1 MB",
        temp_dir=str(tmp_path),
    ) as upload:
        assert upload.path is not None and upload.path.read_bytes() == data
        assert upload.size == len(data)
        assert upload.sha256 == hashlib.sha256(data).hexdigest()
        assert upload.fields == {"title": "Q3 renewal", "participants": "[]"}
        assert upload.filename == "call.wav"
        spooled = upload.path
    assert not spooled.exists(), "the temporary file is removed afterwards"


async def test_a_file_over_the_limit_stops_the_read_and_leaves_no_file(tmp_path: Path) -> None:
    content_type, body = encode_form({}, os.urandom(200_000))
    read = 0

    async def counting() -> AsyncIterator[bytes]:
        nonlocal read
        async for piece in trickle(body):
            read += len(piece)
            yield piece

    with pytest.raises(UploadTooLarge, match="100 KB upload limit"):
        async with spool_upload(
            content_type,
            counting(),
            limit_bytes=100_000,
            limit_label="100 KB",
            temp_dir=str(tmp_path),
        ):
            pass
    assert read < len(body), "the rest of the body is never read"
    assert list(tmp_path.iterdir()) == []


async def test_a_form_without_a_file_has_no_path(tmp_path: Path) -> None:
    content_type, body = encode_form({"title": "x"}, None)
    async with spool_upload(
        content_type, trickle(body), limit_bytes=1000, limit_label="1 KB", temp_dir=str(tmp_path)
    ) as upload:
        assert upload.path is None
        assert upload.fields["title"] == "x"


@pytest.mark.parametrize("content_type", [None, "application/json", "multipart/form-data"])
async def test_a_body_that_is_not_multipart_with_a_boundary_is_a_bad_upload(
    tmp_path: Path, content_type: str | None
) -> None:
    with pytest.raises(BadUpload, match="multipart/form-data"):
        async with spool_upload(
            content_type,
            trickle(b"{}"),
            limit_bytes=1000,
            limit_label="1 KB",
            temp_dir=str(tmp_path),
        ):
            pass


async def test_an_oversized_text_field_is_refused(tmp_path: Path) -> None:
    content_type, body = encode_form({"participants": "x" * 5000}, b"abc")
    with pytest.raises(FormTooLarge, match="'participants'"):
        async with spool_upload(
            content_type,
            trickle(body),
            limit_bytes=1000,
            limit_label="1 KB",
            form_limits=FormLimits(max_field_bytes=1024),
            temp_dir=str(tmp_path),
        ):
            pass


async def test_two_file_parts_are_refused(tmp_path: Path) -> None:
    request = httpx.Request(
        "POST", "http://x/", files=[("file", ("a.wav", b"a")), ("file", ("b.wav", b"b"))]
    )
    with pytest.raises(MalformedForm, match="exactly one 'file' part"):
        async with spool_upload(
            request.headers["content-type"],
            trickle(request.read()),
            limit_bytes=1000,
            limit_label="1 KB",
            temp_dir=str(tmp_path),
        ):
            pass
    assert list(tmp_path.iterdir()) == []


def many_fields_body(fields: int, field_bytes: int) -> tuple[str, AsyncIterator[bytes], list[int]]:
    """The hole-5 attack: a file part, then ``fields`` text fields of ``field_bytes`` each,
    generated as read (never built whole); the list counts the bytes consumed."""
    boundary = "attack-boundary"
    consumed = [0]

    async def body() -> AsyncIterator[bytes]:
        pieces = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"'
            "\r\n\r\n".encode()
            + b"RIFF"
            + b"\r\n"
        ]
        for n in range(fields):
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\n'
            pieces.append(head.encode() + b"x" * field_bytes + b"\r\n")
        pieces.append(f"--{boundary}--\r\n".encode())
        for piece in pieces:
            for start in range(0, len(piece), 64 * 1024):
                chunk = piece[start : start + 64 * 1024]
                consumed[0] += len(chunk)
                yield chunk

    return f"multipart/form-data; boundary={boundary}", body(), consumed


@pytest.mark.parametrize(
    ("fields", "field_bytes", "code"),
    [(550, 100, "too_many_fields"), (550, 180 * 1024, "field_too_large")],
)
async def test_a_form_with_hundreds_of_fields_is_refused_after_a_few(
    tmp_path: Path, fields: int, field_bytes: int, code: str
) -> None:
    """Issue 11, hole 5: 550 fields of 180 KB once grew ingest by 100 MB."""
    content_type, body, consumed = many_fields_body(fields, field_bytes)
    with pytest.raises(FormTooLarge) as refused:
        async with spool_upload(
            content_type, body, limit_bytes=10**9, limit_label="1 GB", temp_dir=str(tmp_path)
        ):
            pass
    assert (refused.value.status, refused.value.code) == (413, code)
    limits = FormLimits()
    assert consumed[0] < limits.max_fields_bytes + limits.max_field_bytes + 128 * 1024
    assert list(tmp_path.iterdir()) == []


async def test_unknown_text_fields_are_counted_but_not_kept(tmp_path: Path) -> None:
    content_type, body = encode_form({"title": "t", "note": "n" * 1000}, b"abc")
    async with spool_upload(
        content_type, trickle(body), limit_bytes=1000, limit_label="1 KB", temp_dir=str(tmp_path)
    ) as upload:
        assert upload.fields == {"title": "t"}


def spool(
    content_type: str, body: AsyncIterator[bytes], tmp_path: Path, **options: Any
) -> AbstractAsyncContextManager[SpooledUpload]:
    """``spool_upload`` within 100 MB, spooling under ``tmp_path``."""
    return spool_upload(
        content_type,
        body,
        limit_bytes=10**8,
        limit_label="100 MB",
        temp_dir=str(tmp_path),
        **options,
    )


class Collected:
    """A ``FileSink`` that keeps what it is given."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.pieces.append(data)


def probe_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ingest-upload-probe"]


async def test_the_file_is_probed_and_handed_on_while_it_still_arrives(tmp_path: Path) -> None:
    """Issue 20: no second pass. With a 10 s budget, the probe of a 90 s call is over
    while most of the body has not even been sent; the sink has every byte, in order."""
    audio = tone_bytes(90.0, freq=700)
    content_type, body = encode_form({"title": "t"}, audio)
    sink = Collected()
    seen: list[tuple[bool, bool]] = []

    async def held_back() -> AsyncIterator[bytes]:
        half = len(body) // 2
        yield body[:half]
        running = bool(probe_threads())
        # Deadlock guard, not a timing assertion: a probe that waited for the whole
        # upload would still be running (or never have started).
        finished = await asyncio.to_thread(
            lambda: all(not t.join(20) and not t.is_alive() for t in probe_threads())
        )
        seen.append((running, finished))
        yield body[half:]

    async with spool(
        content_type,
        held_back(),
        tmp_path,
        sink=sink,
        probe_seconds=10.0,
    ) as upload:
        probe = await upload.probe()
        assert upload.path is not None and upload.path.read_bytes() == audio
    assert seen == [(True, True)]
    assert probe.over_limit and 10.0 < probe.duration < 11.0
    assert b"".join(sink.pieces) == audio
    assert all(len(piece) < 2 * SEGMENT for piece in sink.pieces)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_growing_file_probes_like_the_finished_one(tmp_path: Path, fmt: str) -> None:
    """Read front to back while it arrives, or (an MP4 with its index at the end) again
    once complete: the verdict is the one the finished file gets."""
    audio = sample_call(fmt).read_bytes()
    content_type, body = encode_form({}, audio)
    async with spool(
        content_type,
        trickle(body, 5_000),
        tmp_path,
        probe_seconds=float("inf"),
    ) as upload:
        assert upload.path is not None
        assert await upload.probe() == probe_audio(upload.path)


async def test_a_body_that_breaks_off_ends_the_probe_and_leaves_no_file(tmp_path: Path) -> None:
    audio = tone_bytes(60.0, freq=740)
    content_type, body = encode_form({}, audio)

    async def broken() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        async with spool(
            content_type,
            broken(),
            tmp_path,
            sink=Collected(),
            probe_seconds=float("inf"),
        ):
            pass
    # the probe hands its outcome over just before its thread returns: give the thread
    # time to end; a probe still waiting for the rest of the body would never end
    for thread in probe_threads():
        thread.join(timeout=30)
    assert probe_threads() == [], "the probe waiting for the rest was released"
    assert list(tmp_path.iterdir()) == []
