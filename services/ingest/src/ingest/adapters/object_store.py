"""Encrypted objects in S3: files go up as AES-256-GCM streams, ranges come back decrypted.

Nothing is held whole in memory: uploads are encrypted chunk by chunk as their bytes
arrive (``writer``) or are read from disk (``put_file``) into a multipart upload whose
parts are sent concurrently; reads fetch only the sealed chunks that cover the
requested plaintext range, a window at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from clashtor_common.crypto import (
    STREAM_HEADER_MAX,
    DataKey,
    DataKeys,
    Keyring,
    StreamDecryptor,
    StreamEncryptor,
)
from clashtor_common.s3 import MultipartWriter, S3Store

READ_PIECE = 1024 * 1024


async def _file_pieces(path: Path, piece: int = READ_PIECE) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while True:
            data = await asyncio.to_thread(handle.read, piece)
            if not data:
                return
            yield data
    finally:
        await asyncio.to_thread(handle.close)


class EncryptedObjects:
    """One bucket of envelope-encrypted objects."""

    def __init__(self, store: S3Store, keyring: Keyring, *, window_chunks: int = 16) -> None:
        self.store = store
        self.keyring = keyring
        self.window_chunks = window_chunks

    async def put_file(self, key: str, path: Path, data_key: DataKey) -> int:
        """Encrypt ``path`` into ``key`` under ``data_key`` (CTS2); returns the object's size.
        Aborted on any error."""
        chunks = self.keyring.encrypt_stream(_file_pieces(path), key=data_key)
        return await self.store.upload_stream(key, chunks)

    @asynccontextmanager
    async def writer(
        self, key: str, data_key: DataKey, *, part_size: int, in_flight: int
    ) -> AsyncIterator[SealedWriter]:
        """Write ``key`` while its plaintext arrives: sealed (CTS2) chunk by chunk into a
        multipart upload whose parts go to S3 concurrently. **Aborted unless
        ``SealedWriter.complete`` was awaited** inside the block."""
        async with self.store.multipart(key, part_size=part_size, in_flight=in_flight) as parts:
            yield SealedWriter(parts, self.keyring.stream_encryptor(key=data_key))

    async def decryptor(self, key: str, keys: DataKeys) -> StreamDecryptor:
        """Raises ``clashtor_common.s3.ObjectNotFound`` when the object is gone and
        ``KeyDestroyed`` when its data key is not among ``keys``."""
        head = await self.store.get_bytes(key, (0, STREAM_HEADER_MAX))
        return self.keyring.stream_decryptor(head, keys=keys)

    async def read_range(
        self, key: str, start: int, end: int, plain_size: int, decryptor: StreamDecryptor
    ) -> AsyncIterator[bytes]:
        """Plaintext bytes ``[start, end)`` of an object whose plaintext is ``plain_size`` long."""
        end = min(end, plain_size)
        if start >= end:
            return
        size = decryptor.chunk_size
        first, last = start // size, (end - 1) // size
        for window_first in range(first, last + 1, self.window_chunks):
            window_last = min(window_first + self.window_chunks - 1, last)
            a, _, _ = decryptor.cipher_range(window_first * size, window_first * size + 1)
            _, b, _ = decryptor.cipher_range(window_last * size, window_last * size + 1)
            sealed = await self.store.get_bytes(key, (a, b))
            plain = b"".join(decryptor.open_chunks(sealed, window_first, plain_size))
            offset = window_first * size
            lo = max(start - offset, 0)
            hi = min(end - offset, len(plain))
            yield plain[lo:hi]

    async def read_all(self, key: str, plain_size: int, keys: DataKeys) -> AsyncIterator[bytes]:
        decryptor = await self.decryptor(key, keys)
        async for piece in self.read_range(key, 0, plain_size, plain_size, decryptor):
            yield piece

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def delete_many(self, keys: list[str]) -> int:
        return await self.store.delete_many(keys)

    async def exists(self, key: str) -> bool:
        return await self.store.size(key) is not None


class SealedWriter:
    """Plaintext in (``write``, in order), the encrypted stream out to a multipart upload."""

    def __init__(self, parts: MultipartWriter, encryptor: StreamEncryptor) -> None:
        self.parts = parts
        self._encryptor = encryptor
        self._started = False

    async def write(self, data: bytes) -> None:
        sealed = self._encryptor.update(data)
        if not self._started:
            sealed = self._encryptor.header + sealed
            self._started = True
        if sealed:
            await self.parts.write(sealed)

    async def complete(self) -> int:
        """Seal the last chunk and complete the upload; the object's size."""
        await self.write(b"")
        await self.parts.write(self._encryptor.finalize())
        return await self.parts.complete()
