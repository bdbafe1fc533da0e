"""Sealing and opening the personal data ingest stores (titles, participant names, emails).

Each value is encrypted under a data key of ingest's key table (``clashtor_common.datakeys``)
and bound (associated data) to the row it belongs to, so a ciphertext copied into another
row does not decrypt. A title is sealed under its call's key (``call:<id>``, the audio's key
too), a participant's name and email under that participant's key (``participant:<id>``):
destroying the key shreds every copy of the value. Rows written before keys were kept in
the table (self-keyed, version 1) still open.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from clashtor_common.crypto import fingerprint
from clashtor_common.datakeys import Sealer, call_key_id, subject_key_id
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.domain.participants import ParticipantIn


def participant_key_id(participant_id: str) -> str:
    return subject_key_id("participant", participant_id)


def key_ids(call_ids: Iterable[str], participants: Iterable[ParticipantRecord]) -> list[str]:
    """The data keys that open these calls and participants."""
    return [call_key_id(c) for c in call_ids] + [participant_key_id(p.id) for p in participants]


def _title_aad(call_id: str) -> bytes:
    return f"call:{call_id}:title".encode()


def _participant_aad(participant_id: str, what: str) -> bytes:
    return f"participant:{participant_id}:{what}".encode()


def seal_title(sealer: Sealer, call_id: str, title: str | None) -> bytes | None:
    return sealer.seal_text(title, _title_aad(call_id), call_key_id(call_id)) if title else None


def open_title(sealer: Sealer, call: CallRecord) -> str | None:
    return sealer.open_text(call.title_enc, _title_aad(call.id)) if call.title_enc else None


def new_participant(
    *, org_id: str, call_id: str, position: int, person: ParticipantIn
) -> ParticipantRecord:
    """A participant row with its id (its key id derives from it); no values sealed yet."""
    return ParticipantRecord(
        id=str(uuid.uuid4()), call_id=call_id, org_id=org_id, position=position, role=person.role
    )


def set_name(sealer: Sealer, record: ParticipantRecord, name: str | None) -> None:
    aad, key_id = _participant_aad(record.id, "name"), participant_key_id(record.id)
    record.name_enc = sealer.seal_text(name, aad, key_id) if name else None


def set_email(
    sealer: Sealer, fingerprint_secret: str, record: ParticipantRecord, email: str | None
) -> None:
    if email:
        aad, key_id = _participant_aad(record.id, "email"), participant_key_id(record.id)
        record.email_enc = sealer.seal_text(email, aad, key_id)
        record.email_fingerprint = fingerprint(fingerprint_secret, email)
    else:
        record.email_enc = None
        record.email_fingerprint = None


def open_participant(sealer: Sealer, record: ParticipantRecord) -> dict[str, Any]:
    name = (
        sealer.open_text(record.name_enc, _participant_aad(record.id, "name"))
        if record.name_enc
        else None
    )
    email = (
        sealer.open_text(record.email_enc, _participant_aad(record.id, "email"))
        if record.email_enc
        else None
    )
    return {
        "id": record.id,
        "name": name,
        "email": email,
        "role": record.role,
        "email_fingerprint": record.email_fingerprint,
    }
