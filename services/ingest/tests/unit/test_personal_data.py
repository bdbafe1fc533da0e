"""Names, emails and titles are sealed per row; the fingerprint finds them without decrypting."""

from __future__ import annotations

import pytest

from clashtor_common.crypto import DecryptionError, Keyring, fingerprint
from ingest.adapters.tables import CallRecord
from ingest.domain.participants import ParticipantIn
from ingest.service_layer.personal import new_participant, open_participant, open_title, seal_title

SECRET = "fingerprint-secret"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_config(f"k1:{Keyring.generate_key()}")


def test_a_participant_is_stored_encrypted_with_an_email_fingerprint(keyring: Keyring) -> None:
    person = ParticipantIn(name="Dana Rep", email="dana@example.com", role="rep")
    row = new_participant(keyring, SECRET, org_id="o", call_id="c", position=0, person=person)
    assert row.name_enc and b"Dana" not in row.name_enc
    assert row.email_enc and b"dana@" not in row.email_enc
    assert row.email_fingerprint == fingerprint(SECRET, "DANA@example.com ")
    opened = open_participant(keyring, row)
    assert (opened["name"], opened["email"], opened["role"]) == (
        "Dana Rep",
        "dana@example.com",
        "rep",
    )


def test_a_ciphertext_moved_to_another_row_does_not_open(keyring: Keyring) -> None:
    a = new_participant(
        keyring,
        SECRET,
        org_id="o",
        call_id="c",
        position=0,
        person=ParticipantIn(name="A", role="rep"),
    )
    b = new_participant(
        keyring,
        SECRET,
        org_id="o",
        call_id="c",
        position=1,
        person=ParticipantIn(name="B", role="customer"),
    )
    b.name_enc = a.name_enc
    with pytest.raises(DecryptionError):
        open_participant(keyring, b)


def test_titles_are_bound_to_their_call(keyring: Keyring) -> None:
    sealed = seal_title(keyring, "call-1", "Renewal with Acme")
    assert sealed and b"Acme" not in sealed
    call = CallRecord.model_construct(id="call-1", title_enc=sealed)
    assert open_title(keyring, call) == "Renewal with Acme"
    with pytest.raises(DecryptionError):
        open_title(keyring, CallRecord.model_construct(id="call-2", title_enc=sealed))
