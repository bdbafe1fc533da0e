"""Encrypted objects in the transcribe bucket: transcripts and export parts.

Layout (bucket ``TRANSCRIBE_S3_BUCKET``):

- ``transcripts/<org>/<call>.json.enc``: the normalized transcript JSON as a Keyring
  record (``CTR1``) with the call id (UTF-8) as associated data, so a transcript
  cannot be passed off as another call's; ``call-transcribed.transcript`` names it
  (bucket and key);
- ``exports/<org>/<request>/transcribe.json.enc``: an export part (Keyring record, no
  associated data), the format privacy reads.

Only ciphertext is ever written; the keys of the objects hold ids, never content.
"""

from __future__ import annotations

from clashtor_common.events import ObjectRef
from clashtor_common.s3 import S3Store


def transcript_key(org_id: str, call_id: str) -> str:
    return f"transcripts/{org_id}/{call_id}.json.enc"


def export_key(org_id: str, request_id: str) -> str:
    return f"exports/{org_id}/{request_id}/transcribe.json.enc"


def transcript_aad(call_id: str) -> bytes:
    """Associated data binding a transcript ciphertext to its call."""
    return call_id.encode()


class EncryptedObjects:
    """Puts, names, reads and deletes ciphertext in the service's own bucket."""

    def __init__(self, store: S3Store) -> None:
        self.store = store

    async def put(self, key: str, ciphertext: bytes) -> None:
        await self.store.put_bytes(key, ciphertext)

    def ref(self, key: str) -> ObjectRef:
        return self.store.ref(key)

    async def read(self, ref: ObjectRef) -> bytes:
        """Another service's object an event names (read with this service's client)."""
        return await self.store.read(ref)

    async def delete(self, key: str) -> None:
        """Idempotent: deleting an object that is already gone is not an error."""
        await self.store.ensure_bucket()
        await self.store.delete(key)

    async def delete_many(self, keys: list[str]) -> int:
        """Idempotent, over one connection."""
        await self.store.ensure_bucket()
        return await self.store.delete_many(keys)

    async def delete_prefix(self, prefix: str) -> int:
        await self.store.ensure_bucket()
        return await self.store.delete_prefix(prefix)

    async def keys(self, prefix: str) -> list[str]:
        await self.store.ensure_bucket()
        return await self.store.list_keys(prefix)
