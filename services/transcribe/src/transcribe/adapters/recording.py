"""The uploaded recording, fetched by the event's object reference and decrypted.

``call-uploaded.audio`` names ingest's *encrypted* object (Keyring stream format
``CTS1``) by bucket and key; transcribe reads it with its own S3 client (read access
to ingest's bucket), so the event holds no address that a restart could move. The
data key is unwrapped through the keyring. When the object is gone (the call was
erased) the read raises ``ObjectNotFound``; S3 being down raises a transient error
the bus retries.

The plaintext lives only in a private temporary file for the length of one
transcription, written chunk by chunk so the decrypted audio is never held in memory
beside its ciphertext.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

from clashtor_common.crypto import STREAM_HEADER_MAX, DataKeys, Keyring

_SUFFIX = re.compile(r"^[a-z0-9]{1,8}$")


def decrypt_to_file(keyring: Keyring, blob: bytes, target: Path, keys: DataKeys) -> int:
    """Decrypt a stream object (``CTS2`` under one of ``keys``, or a self-keyed ``CTS1``)
    into ``target``; returns the plaintext size.

    Raises ``DecryptionError`` for a wrong or missing key or a tampered or truncated object.
    """
    decryptor = keyring.stream_decryptor(blob[:STREAM_HEADER_MAX], keys=keys)
    body = memoryview(blob)[len(decryptor.header) :]  # no copy of the ciphertext
    size = 0
    with target.open("wb") as out:
        for chunk in decryptor.open_all(body):  # type: ignore[arg-type]
            out.write(chunk)
            size += len(chunk)
    return size


@asynccontextmanager
async def downloaded_recording(
    fetch: Awaitable[bytes],
    keyring: Keyring,
    *,
    keys: DataKeys,
    audio_format: str,
    temp_dir: str | None = None,
) -> AsyncIterator[Path]:
    """Yield a private temp file holding the decrypted recording; removed afterwards.

    ``fetch`` is the pending read of the encrypted object (``S3Store.read(ref)``); only
    this function holds its bytes, so they are freed as soon as they are decrypted.
    """
    blob = await fetch
    suffix = f".{audio_format.lower()}" if _SUFFIX.match(audio_format.lower()) else ""
    fd, name = tempfile.mkstemp(prefix="transcribe-", suffix=suffix, dir=temp_dir)
    os.close(fd)  # mkstemp created it 0600: only this process's user can read it
    path = Path(name)
    try:
        await asyncio.to_thread(decrypt_to_file, keyring, blob, path, keys)
        del blob
        yield path
    finally:
        path.unlink(missing_ok=True)
