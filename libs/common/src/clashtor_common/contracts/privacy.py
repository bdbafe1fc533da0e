"""Privacy's account status and erasure certificates (``/v1/account``, ``/v1/privacy`` →
privacy's ``/internal/account`` and ``/internal/privacy``), re-exposed as privacy answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class AccountStatusOut(BaseModel):
    org_id: str
    status: Literal["active", "deleted", "purging", "purged"]
    deleted_at: datetime | None = None
    restorable_until: datetime | None = Field(
        None, description="until then POST /v1/account/restore undoes the deletion"
    )
    purge_request_id: str | None = None


class SignatureOut(BaseModel):
    algorithm: Literal["ed25519"]
    key_id: str
    value: str = Field(description="base64 of the Ed25519 signature of the canonical record")


class CertificateOut(BaseModel):
    """An erasure certificate: save it as a file and check it offline with
    ``clashtor-ops verify-certificate FILE --key <public key>``."""

    request_id: str
    algorithm: Literal["sha256"]
    digest: str = Field(description="sha256 of the canonical JSON of record")
    record: dict[str, Any] = Field(description="what was erased, where and when (no personal data)")
    signature: SignatureOut | None


class CertificateKeyOut(BaseModel):
    """The public key that verifies erasure certificates (base64 of the raw 32 bytes)."""

    algorithm: Literal["ed25519"]
    key_id: str
    public_key: str
