"""Signed erasure certificates: Ed25519 over the record's canonical JSON.

The privacy service signs a certificate when an erasure completes; anyone holding the
certificate file and the privacy service's public key can check it offline
(``clashtor-ops verify-certificate``) without trusting the service, the database or
the person who handed it over. A digest alone proves nothing against someone who can
rewrite the record: they recompute the digest too. The signature they cannot redo.

Keys travel as base64 of the raw 32 bytes (Ed25519 private seed / public key). The
``key_id`` (first 16 hex digits of SHA-256 of the public key) names the key that
signed, so an operator who rotated the signing key knows which public key to use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_ALGORITHM = "ed25519"
#: Where ``make up`` keeps the signing key's public document, under ``var/``.
PUBLIC_KEY_FILE = "certificate-key.json"
#: Where ``make up`` keeps the private key it generated, under ``var/``.
SIGNING_KEY_FILE = "secrets/certificate-signing.key"
DIGEST_ALGORITHM = "sha256"


class CertificateError(ValueError):
    """The certificate, the key or the signature is malformed, or does not verify."""


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, ASCII: the bytes the digest and the signature cover."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def _b64decode(text: str, what: str) -> bytes:
    """Strict base64: the text must be the one canonical encoding of its bytes, so no
    character of a signature can change without changing what it decodes to."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode() != text.strip():
        raise CertificateError(f"{what} is not canonical base64")
    return raw


def generate_signing_key() -> str:
    """A new private key, as configuration expects it (base64 of the 32-byte seed)."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return base64.b64encode(raw).decode()


def public_key_text(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = _b64decode(text, "public key")
    if len(raw) != 32:
        raise CertificateError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class CertificateSigner:
    """The private half, held by the privacy service only."""

    private: Ed25519PrivateKey

    @classmethod
    def from_config(cls, text: str) -> CertificateSigner:
        raw = _b64decode(text, "certificate signing key")
        if len(raw) != 32:
            raise CertificateError(f"an Ed25519 private key is 32 bytes, got {len(raw)}")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    @property
    def public_key(self) -> str:
        return public_key_text(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    def sign(self, record: dict[str, Any]) -> dict[str, str]:
        """The ``signature`` member of a certificate document."""
        value = self.private.sign(canonical_json(record))
        return {
            "algorithm": SIGNATURE_ALGORITHM,
            "key_id": self.key_id,
            "value": base64.b64encode(value).decode(),
        }

    def public_document(self) -> dict[str, str]:
        """What ``GET /v1/privacy/certificate-key`` serves."""
        return {
            "algorithm": SIGNATURE_ALGORITHM,
            "key_id": self.key_id,
            "public_key": self.public_key,
        }


DOCUMENT_MEMBERS = frozenset({"request_id", "algorithm", "digest", "record", "signature"})
SIGNATURE_MEMBERS = frozenset({"algorithm", "key_id", "value"})


def load_certificate(data: bytes) -> dict[str, Any]:
    """Parse a certificate file (the JSON ``GET .../certificate`` answered)."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CertificateError(f"not a certificate: {exc}") from exc
    if not isinstance(document, dict):
        raise CertificateError("not a certificate: a JSON object was expected")
    return document


def verify_certificate(document: dict[str, Any], public_key: str) -> dict[str, Any]:
    """Check a certificate document; its record when every check passes.

    Strict on purpose: every member outside the signed record (request id, digest
    algorithm, digest, signature) must be present, known and agree with the record, so
    a change to any byte of a certificate file makes it fail. Raises
    ``CertificateError`` naming what failed.
    """
    if set(document) != DOCUMENT_MEMBERS:
        raise CertificateError(
            "a certificate has exactly the members " + ", ".join(sorted(DOCUMENT_MEMBERS))
        )
    record, signature = document["record"], document["signature"]
    if not isinstance(record, dict):
        raise CertificateError("the certificate has no record")
    if not isinstance(signature, dict) or set(signature) != SIGNATURE_MEMBERS:
        raise CertificateError("the certificate is not signed")
    if document["request_id"] != record.get("request_id"):
        raise CertificateError("the request id does not match the record's")
    if document["algorithm"] != DIGEST_ALGORITHM or signature["algorithm"] != SIGNATURE_ALGORITHM:
        raise CertificateError("unsupported digest or signature algorithm")
    public = load_public_key(public_key)
    if signature["key_id"] != key_id(public):
        raise CertificateError(
            f"signed by key {signature['key_id']}, but the key given is {key_id(public)}"
        )
    expected = document["digest"]
    if not isinstance(expected, str) or not hmac.compare_digest(record_digest(record), expected):
        raise CertificateError("the record does not match its digest: it was altered")
    value = signature["value"]
    if not isinstance(value, str):
        raise CertificateError("the signature is not base64 text")
    try:
        public.verify(_b64decode(value, "signature"), canonical_json(record))
    except InvalidSignature as exc:
        raise CertificateError(
            "the signature does not verify: record or signature altered"
        ) from exc
    return record
