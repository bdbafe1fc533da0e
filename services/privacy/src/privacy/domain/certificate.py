"""Erasure certificates: proof of what was erased that holds no personal data itself.

The record names the request, the subject only by a keyed hash of its id or email
fingerprint, each service's acknowledgement (counts removed, records kept and why,
when) and the timestamps. ``digest`` is SHA-256 over the record's canonical JSON
(sorted keys, no whitespace); the privacy service signs the same canonical bytes
with Ed25519 (``clashtor_common.certificates``), so anyone holding the certificate and
the service's public key can check offline that it was not altered after it was issued.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clashtor_common.certificates import record_digest

CERTIFICATE_FORMAT = "clashtor-erasure-certificate/1"


@dataclass(frozen=True)
class CertifiedAck:
    service: str
    status: str
    answered_at: datetime | None
    attempts: int
    removed: dict[str, int] = field(default_factory=dict)
    kept: list[dict[str, str]] = field(default_factory=list)


def subject_hash(secret: str, subject_type: str, subject_id: str | None, fp: str | None) -> str:
    """A keyed hash naming the subject without revealing its id or email fingerprint."""
    material = f"{subject_type}|{subject_id or ''}|{fp or ''}"
    return hmac.new(secret.encode(), material.encode(), hashlib.sha256).hexdigest()


digest = record_digest


def build_certificate(
    *,
    request_id: str,
    org_id: str,
    subject_type: str,
    subject_ref_hash: str,
    requested_at: datetime,
    completed_at: datetime,
    acks: Iterable[CertifiedAck],
) -> tuple[dict[str, Any], str]:
    """The certificate record and its digest."""
    record: dict[str, Any] = {
        "format": CERTIFICATE_FORMAT,
        "request_id": request_id,
        "org_id": org_id,
        "subject": {"type": subject_type, "hash": subject_ref_hash},
        "requested_at": requested_at.isoformat(),
        "completed_at": completed_at.isoformat(),
        "acknowledgements": [
            {
                "service": a.service,
                "status": a.status,
                "answered_at": a.answered_at.isoformat() if a.answered_at else None,
                "attempts": a.attempts,
                "removed": dict(sorted(a.removed.items())),
                "kept": list(a.kept),
            }
            for a in sorted(acks, key=lambda a: a.service)
        ],
    }
    return record, digest(record)


def verify(record: dict[str, Any], expected_digest: str) -> bool:
    return hmac.compare_digest(digest(record), expected_digest)
