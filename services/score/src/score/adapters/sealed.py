"""How score seals what it stores from the transcript, and opens transcribe's transcript.

Stored blobs are zlib-compressed JSON encrypted under the call's data key
(``call:<id>`` in ``score_data_keys``, record format ``CTR2``): erasure destroys the key
and every copy of the blob is noise. The associated data binds each blob to its
organization, call and kind, so a blob copied into another row (or another
organization's row) does not decrypt. Blobs sealed before key tables (``CTR1``) still open.
"""

from __future__ import annotations

import zlib
from typing import Literal

from clashtor_common.crypto import DataKey, DataKeys, Keyring

Kind = Literal["result", "transcript", "comment", "review"]


def transcript_object_aad(call_id: str) -> bytes:
    """Associated data of transcribe's encrypted transcript object: the call id (UTF-8).

    The same binding transcribe seals with (``transcribe.adapters.objects.transcript_aad``);
    not imported, since services share only libs/common — this is the one place to change.
    """
    return call_id.encode()


def _aad(org_id: str, call_id: str, kind: Kind, row: str | None) -> bytes:
    """A comment's body or a review's reason is also bound to its row id."""
    return f"score/{kind}/{org_id}/{call_id}{'/' + row if row else ''}".encode()


def seal(
    keyring: Keyring,
    plain: bytes,
    *,
    org_id: str,
    call_id: str,
    kind: Kind,
    key: DataKey,
    row: str | None = None,
) -> bytes:
    aad = _aad(org_id, call_id, kind, row)
    return keyring.encrypt(zlib.compress(plain, 6), aad=aad, key=key)


def unseal(
    keyring: Keyring,
    blob: bytes,
    *,
    org_id: str,
    call_id: str,
    kind: Kind,
    keys: DataKeys,
    row: str | None = None,
) -> bytes:
    aad = _aad(org_id, call_id, kind, row)
    return zlib.decompress(keyring.decrypt(blob, aad=aad, keys=keys))
