"""Names, emails and titles are sealed per row under key-table keys (a participant's own, the
call's); the fingerprint finds them without decrypting; a destroyed key shreds them."""

from __future__ import annotations

import pytest

from clashtor_common.crypto import DataKey, DecryptionError, KeyDestroyed, Keyring, fingerprint
from clashtor_common.datakeys import Sealer
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.domain.participants import ParticipantIn
from ingest.service_layer.personal import (
    new_participant,
    open_participant,
    open_title,
    participant_key_id,
    seal_title,
    set_email,
    set_name,
)

SECRET = "fingerprint-secret"


class _Keys(dict[str, DataKey]):
    """A key table stand-in: a key is made the first time it is named."""

    def __missing__(self, key_id: str) -> DataKey:
        self[key_id] = DataKey.generate(key_id)
        return self[key_id]


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(Keyring.from_config(f"k1:{Keyring.generate_key()}"), _Keys())


def participant(sealer: Sealer, person: ParticipantIn, position: int = 0) -> ParticipantRecord:
    row = new_participant(org_id="o", call_id="c", position=position, person=person)
    set_name(sealer, row, person.name)
    set_email(sealer, SECRET, row, person.email)
    return row


def test_a_participant_is_stored_encrypted_with_an_email_fingerprint(sealer: Sealer) -> None:
    row = participant(sealer, ParticipantIn(name="Dana Rep", email="dana@example.com", role="rep"))
    assert row.name_enc and b"Dana" not in row.name_enc
    assert row.email_enc and b"dana@" not in row.email_enc
    assert row.email_enc[:4] == b"CTR2" and participant_key_id(row.id).encode() in row.email_enc
    assert row.email_fingerprint == fingerprint(SECRET, "DANA@example.com ")
    opened = open_participant(sealer, row)
    assert (opened["name"], opened["email"], opened["role"]) == (
        "Dana Rep",
        "dana@example.com",
        "rep",
    )


def test_destroying_the_participant_key_shreds_name_and_email(sealer: Sealer) -> None:
    row = participant(sealer, ParticipantIn(name="Dana", email="dana@example.com", role="rep"))
    shredded = Sealer(sealer.keyring, {})
    with pytest.raises(KeyDestroyed):
        open_participant(shredded, row)


def test_a_ciphertext_moved_to_another_row_does_not_open(sealer: Sealer) -> None:
    a = participant(sealer, ParticipantIn(name="A", role="rep"))
    b = participant(sealer, ParticipantIn(name="B", role="customer"), 1)
    b.name_enc = a.name_enc
    with pytest.raises(DecryptionError):
        open_participant(sealer, b)


def test_titles_are_bound_to_their_call(sealer: Sealer) -> None:
    sealed = seal_title(sealer, "call-1", "Renewal with Acme")
    assert sealed and b"Acme" not in sealed
    call = CallRecord.model_construct(id="call-1", title_enc=sealed)
    assert open_title(sealer, call) == "Renewal with Acme"
    with pytest.raises(DecryptionError):
        open_title(sealer, CallRecord.model_construct(id="call-2", title_enc=sealed))


def test_rows_sealed_before_key_tables_still_open(sealer: Sealer) -> None:
    legacy = sealer.keyring.encrypt_text("Old title", b"call:call-9:title")
    assert open_title(sealer, CallRecord.model_construct(id="call-9", title_enc=legacy)) == (
        "Old title"
    )
