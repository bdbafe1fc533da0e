"""Stored results and transcripts: encrypted under the call's data key, compressed, and bound
to their row; without the key (erased) they do not open; old self-keyed blobs still do."""

from __future__ import annotations

import zlib

import pytest

from clashtor_common.crypto import DataKey, DecryptionError, KeyDestroyed, Keyring
from score.adapters.sealed import Binding, seal, unseal
from score.domain.scorecard_templates import meddic_template
from score.domain.scoring import CallScore, rescore_call, score_call
from score.domain.synthetic import synthetic_sales_call

KEYRING = Keyring.from_config(f"k1:{Keyring.generate_key()}")
CALL = synthetic_sales_call(minutes=5)
KEY = DataKey.generate("call:c1")
KEYS = {KEY.id: KEY}


def test_a_sealed_blob_opens_only_for_its_own_org_call_and_kind() -> None:
    plain = CALL.model_dump_json().encode()
    blob = seal(KEYRING, plain, Binding("o1", "c1", "transcript"), KEY)

    assert unseal(KEYRING, blob, Binding("o1", "c1", "transcript"), KEYS) == plain
    assert b"discovery" not in blob.lower() and b"budget" not in blob.lower()
    assert len(blob) < len(plain) / 3  # compressed before it is encrypted
    for other in (
        Binding("o2", "c1", "transcript"),
        Binding("o1", "c2", "transcript"),
        Binding("o1", "c1", "result"),
        Binding("o1", "c1", "transcript", row="r1"),
    ):
        with pytest.raises(DecryptionError):
            unseal(KEYRING, blob, other, KEYS)
    with pytest.raises(KeyDestroyed):
        unseal(KEYRING, blob, Binding("o1", "c1", "transcript"), {})


def test_a_blob_sealed_before_key_tables_still_opens() -> None:
    legacy = KEYRING.encrypt(zlib.compress(b'{"x": 1}'), aad=b"score/result/o1/c1")
    assert unseal(KEYRING, legacy, Binding("o1", "c1", "result"), {}) == (b'{"x": 1}')


def test_a_stored_score_reads_back_equal_and_can_be_rescored() -> None:
    """Re-scoring starts from the stored JSON, so it must round-trip exactly."""
    score = score_call(CALL, scorecard=meddic_template())
    back = CallScore.model_validate_json(score.model_dump_json())

    assert back == score
    assert back.roles == {0: "rep", 1: "customer"}
    again = rescore_call(CALL, back, scorecard=meddic_template())
    assert again == score
