"""Privacy's encrypted objects in S3: rectification claim checks and export bundles.

Claim checks are small (record format, ``Keyring.encrypt``); bundles can hold audio,
so they are stream-encrypted and read back chunk range by chunk range, never held
decrypted in full.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from clashtor_common.crypto import STREAM_HEADER_MAX, Keyring
from clashtor_common.s3 import ObjectNotFound, S3Store

#: Plaintext bytes decrypted per ranged read while streaming a bundle out.
READ_CHUNKS = 8


class EncryptedObjects:
    def __init__(self, store: S3Store, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    async def put_record(self, key: str, plaintext: bytes) -> None:
        await self.store.put_bytes(key, self.keyring.encrypt(plaintext))

    async def put_stream(self, key: str, plaintext: bytes) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield plaintext

        await self.store.upload_stream(key, self.keyring.encrypt_stream(chunks()))

    async def read_stream(self, key: str) -> AsyncIterator[bytes]:
        """The decrypted object, chunk by chunk; ObjectNotFound if it is gone."""
        size = await self.store.size(key)
        if size is None:
            raise ObjectNotFound(key)
        head = await self.store.get_bytes(key, (0, min(size, STREAM_HEADER_MAX)))
        dec = self.keyring.stream_decryptor(head)
        total = dec.plaintext_size(size)
        step = dec.chunk_size * READ_CHUNKS
        start = 0
        while True:
            end = min(start + step, total)
            a, b, first = dec.cipher_range(start, end)
            body = await self.store.get_bytes(key, (a, min(b, size)))
            for piece in dec.open_chunks(body, first, total):
                yield piece
            start = end
            if start >= total:
                return

    async def delete(self, key: str) -> None:
        await self.store.delete(key)
