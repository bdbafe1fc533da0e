"""An erasure certificate proves what was done, detects tampering and names no one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from privacy.domain.certificate import CertifiedAck, build_certificate, subject_hash, verify

AT = datetime(2030, 1, 1, tzinfo=UTC)


def certificate(removed: int = 3) -> tuple[dict, str]:
    return build_certificate(
        request_id="r-1",
        org_id="org-1",
        subject_type="user",
        subject_ref_hash=subject_hash("secret", "user", "user-42", None),
        requested_at=AT,
        completed_at=AT,
        acks=[
            CertifiedAck("score", "completed", AT, 1, {"scores": removed}),
            CertifiedAck("ingest", "completed", AT, 2, {"calls": 1}, [{"what": "w", "why": "y"}]),
        ],
    )


def test_the_digest_is_stable_and_covers_every_field() -> None:
    record, digest = certificate()
    assert verify(record, digest)
    assert certificate()[1] == digest  # same facts, same digest
    assert certificate(removed=4)[1] != digest
    changed = json.loads(json.dumps(record))
    changed["acknowledgements"][0]["kept"] = []
    assert not verify(changed, digest)


def test_the_record_names_the_subject_only_by_a_keyed_hash() -> None:
    record, _ = certificate()
    assert "user-42" not in json.dumps(record)
    assert record["subject"]["hash"] == subject_hash("secret", "user", "user-42", None)
    assert record["subject"]["hash"] != subject_hash("other-secret", "user", "user-42", None)
    assert [a["service"] for a in record["acknowledgements"]] == ["ingest", "score"]
