"""Export parts: the gateway's slice of a subject's data, encrypted into S3.

The part is JSON, sealed with the keyring (AES-256-GCM envelope encryption) before it
leaves the process; the privacy service reads it (by the bucket and key the event names) and
unwraps it with the same master keys. The object is deleted again by an erasure.
"""

from __future__ import annotations

import json
from typing import Any

from clashtor_common.crypto import Keyring
from clashtor_common.events import ObjectRef
from clashtor_common.s3 import S3Store

PREFIX = "exports/"


def object_key(org_id: str, request_id: str) -> str:
    return f"{PREFIX}{org_id}/{request_id}.json.enc"


class ExportStore:
    def __init__(self, store: S3Store, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    async def put_part(self, key: str, part: dict[str, Any]) -> ObjectRef:
        """Encrypt and store ``part``; returns the reference an event carries."""
        blob = self.keyring.encrypt(json.dumps(part, default=str).encode())
        await self.store.put_bytes(key, blob)
        return self.store.ref(key)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)
