"""Sealing and opening the personal data ingest stores (titles, participant names, emails).

Each value is encrypted with the keyring and bound (associated data) to the row it
belongs to, so a ciphertext copied into another row does not decrypt.
"""

from __future__ import annotations

import uuid
from typing import Any

from clashtor_common.crypto import Keyring, fingerprint
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.domain.participants import ParticipantIn


def _title_aad(call_id: str) -> bytes:
    return f"call:{call_id}:title".encode()


def _participant_aad(participant_id: str, what: str) -> bytes:
    return f"participant:{participant_id}:{what}".encode()


def seal_title(keyring: Keyring, call_id: str, title: str | None) -> bytes | None:
    return keyring.encrypt_text(title, _title_aad(call_id)) if title else None


def open_title(keyring: Keyring, call: CallRecord) -> str | None:
    return keyring.decrypt_text(call.title_enc, _title_aad(call.id)) if call.title_enc else None


def new_participant(
    keyring: Keyring,
    fingerprint_secret: str,
    *,
    org_id: str,
    call_id: str,
    position: int,
    person: ParticipantIn,
) -> ParticipantRecord:
    participant_id = str(uuid.uuid4())
    record = ParticipantRecord(
        id=participant_id, call_id=call_id, org_id=org_id, position=position, role=person.role
    )
    set_name(keyring, record, person.name)
    set_email(keyring, fingerprint_secret, record, person.email)
    return record


def set_name(keyring: Keyring, record: ParticipantRecord, name: str | None) -> None:
    record.name_enc = (
        keyring.encrypt_text(name, _participant_aad(record.id, "name")) if name else None
    )


def set_email(
    keyring: Keyring, fingerprint_secret: str, record: ParticipantRecord, email: str | None
) -> None:
    if email:
        record.email_enc = keyring.encrypt_text(email, _participant_aad(record.id, "email"))
        record.email_fingerprint = fingerprint(fingerprint_secret, email)
    else:
        record.email_enc = None
        record.email_fingerprint = None


def open_participant(keyring: Keyring, record: ParticipantRecord) -> dict[str, Any]:
    name = (
        keyring.decrypt_text(record.name_enc, _participant_aad(record.id, "name"))
        if record.name_enc
        else None
    )
    email = (
        keyring.decrypt_text(record.email_enc, _participant_aad(record.id, "email"))
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
