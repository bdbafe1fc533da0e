"""How score seals what it stores from the transcript, and opens transcribe's transcript.

Stored blobs are zlib-compressed JSON encrypted under the call's data key
(``call:<id>`` in ``score_data_keys``, record format ``CTR2``): erasure destroys the key
and every copy of the blob is noise. The associated data binds each blob to its
organization, call and kind, so a blob copied into another row (or another
organization's row) does not decrypt. Blobs sealed before key tables (``CTR1``) still open.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal, Protocol

from clashtor_common.crypto import DataKey, DataKeys, Keyring

Kind = Literal["result", "transcript", "comment", "review"]


def transcript_object_aad(call_id: str) -> bytes:
    """Associated data of transcribe's encrypted transcript object: the call id (UTF-8).

    The same binding transcribe seals with (``transcribe.adapters.objects.transcript_aad``);
    not imported, since services share only libs/common — this is the one place to change.
    """
    return call_id.encode()


class _Row(Protocol):
    id: str
    org_id: str
    call_id: str


@dataclass(frozen=True)
class Binding:
    """What a blob is bound to (its associated data): organization, call and kind, and for
    a comment's body or a review's reason also its row id."""

    org_id: str
    call_id: str
    kind: Kind
    row: str | None = None

    @classmethod
    def of_row(cls, record: _Row, kind: Kind) -> Binding:
        return cls(record.org_id, record.call_id, kind, record.id)

    def aad(self) -> bytes:
        row = f"/{self.row}" if self.row else ""
        return f"score/{self.kind}/{self.org_id}/{self.call_id}{row}".encode()


def seal(keyring: Keyring, plain: bytes, at: Binding, key: DataKey) -> bytes:
    return keyring.encrypt(zlib.compress(plain, 6), aad=at.aad(), key=key)


def unseal(keyring: Keyring, blob: bytes, at: Binding, keys: DataKeys) -> bytes:
    return zlib.decompress(keyring.decrypt(blob, aad=at.aad(), keys=keys))
