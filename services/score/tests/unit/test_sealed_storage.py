"""Stored results and transcripts: encrypted, compressed, and bound to their row."""

from __future__ import annotations

import pytest

from clashtor_common.crypto import DecryptionError, Keyring
from score.adapters.sealed import seal, unseal
from score.domain.scorecard_templates import meddic_template
from score.domain.scoring import CallScore, rescore_call, score_call
from score.domain.synthetic import synthetic_sales_call

KEYRING = Keyring.from_config(f"k1:{Keyring.generate_key()}")
CALL = synthetic_sales_call(minutes=5)


def test_a_sealed_blob_opens_only_for_its_own_org_call_and_kind() -> None:
    plain = CALL.model_dump_json().encode()
    blob = seal(KEYRING, plain, org_id="o1", call_id="c1", kind="transcript")

    assert unseal(KEYRING, blob, org_id="o1", call_id="c1", kind="transcript") == plain
    assert b"discovery" not in blob.lower() and b"budget" not in blob.lower()
    assert len(blob) < len(plain) / 3  # compressed before it is encrypted
    for other in (
        {"org_id": "o2", "call_id": "c1", "kind": "transcript"},
        {"org_id": "o1", "call_id": "c2", "kind": "transcript"},
        {"org_id": "o1", "call_id": "c1", "kind": "result"},
    ):
        with pytest.raises(DecryptionError):
            unseal(KEYRING, blob, **other)  # type: ignore[arg-type]


def test_a_stored_score_reads_back_equal_and_can_be_rescored() -> None:
    """Re-scoring starts from the stored JSON, so it must round-trip exactly."""
    score = score_call(CALL, scorecard=meddic_template())
    back = CallScore.model_validate_json(score.model_dump_json())

    assert back == score
    assert back.roles == {0: "rep", 1: "customer"}
    again = rescore_call(CALL, back, scorecard=meddic_template())
    assert again == score
