"""A signed erasure certificate verifies offline with the public key, and nothing else does:
not a changed byte anywhere in the file, not another key's signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clashtor_common import certificates
from clashtor_common.certificates import (
    CertificateError,
    CertificateSigner,
    generate_signing_key,
    load_certificate,
    record_digest,
    verify_certificate,
)
from clashtor_common.ops.cli import app

RECORD = {
    "format": "clashtor-erasure-certificate/1",
    "request_id": "r-1",
    "org_id": "org-1",
    "subject": {"type": "participant", "hash": "ab" * 32},
    "requested_at": "2030-01-01T00:00:00+00:00",
    "completed_at": "2030-01-01T00:05:00+00:00",
    "acknowledgements": [
        {
            "service": "ingest",
            "status": "completed",
            "answered_at": "2030-01-01T00:01:00+00:00",
            "attempts": 1,
            "removed": {"calls": 2},
            "kept": [{"what": "usage ledger", "why": "tax law"}],
        }
    ],
}


def document(signer: CertificateSigner, record: dict = RECORD) -> dict:
    """A certificate as ``GET /internal/requests/{id}/certificate`` answers it."""
    return {
        "request_id": record["request_id"],
        "algorithm": "sha256",
        "digest": record_digest(record),
        "record": record,
        "signature": signer.sign(record),
    }


@pytest.fixture(scope="module")
def signer() -> CertificateSigner:
    return CertificateSigner.from_config(generate_signing_key())


def test_a_signed_certificate_verifies_with_the_public_key(signer: CertificateSigner) -> None:
    assert verify_certificate(document(signer), signer.public_key) == RECORD


def test_every_single_byte_changed_in_the_file_fails(signer: CertificateSigner) -> None:
    data = json.dumps(document(signer), indent=2).encode()
    assert verify_certificate(load_certificate(data), signer.public_key) == RECORD
    passed = []
    for i in range(len(data)):
        tampered = bytearray(data)
        tampered[i] ^= 0x01
        try:
            verify_certificate(load_certificate(bytes(tampered)), signer.public_key)
        except CertificateError:
            continue
        passed.append((i, bytes(tampered[max(0, i - 20) : i + 20])))
    assert passed == []


def test_a_record_re_digested_by_a_forger_still_fails(signer: CertificateSigner) -> None:
    forged = {**RECORD, "acknowledgements": []}
    doc = {**document(signer), "record": forged, "digest": record_digest(forged)}
    with pytest.raises(CertificateError, match="signature does not verify"):
        verify_certificate(doc, signer.public_key)


def test_another_keys_signature_fails(signer: CertificateSigner) -> None:
    other = CertificateSigner.from_config(generate_signing_key())
    with pytest.raises(CertificateError, match="signed by key"):
        verify_certificate(document(other), signer.public_key)
    # ... also when the forger copies the expected key id
    doc = document(other)
    doc["signature"]["key_id"] = signer.key_id
    with pytest.raises(CertificateError, match="signature does not verify"):
        verify_certificate(doc, signer.public_key)


def test_an_unsigned_or_padded_certificate_fails(signer: CertificateSigner) -> None:
    unsigned = {**document(signer), "signature": None}
    with pytest.raises(CertificateError, match="not signed"):
        verify_certificate(unsigned, signer.public_key)
    extra = {**document(signer), "note": "trust me"}
    with pytest.raises(CertificateError, match="exactly the members"):
        verify_certificate(extra, signer.public_key)


def test_a_bad_signing_key_is_refused_at_load() -> None:
    with pytest.raises(CertificateError, match="32 bytes"):
        CertificateSigner.from_config("c2hvcnQ=")
    with pytest.raises(CertificateError, match="base64"):
        CertificateSigner.from_config("not base64!")


def test_the_cli_says_valid_or_invalid_and_exits_accordingly(
    signer: CertificateSigner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = tmp_path / "certificate.json"
    cert.write_text(json.dumps(document(signer)))
    key_json = tmp_path / "key.json"
    key_json.write_text(json.dumps(signer.public_document()))
    runner = CliRunner()

    for key in (signer.public_key, str(key_json)):
        result = runner.invoke(app, ["verify-certificate", str(cert), "--key", key])
        assert result.exit_code == 0, result.output
        assert "VALID" in result.output and "ingest=completed" in result.output

    # Without --key: the make up stack's public key under CLASHTOR_VAR.
    monkeypatch.setenv("CLASHTOR_VAR", str(tmp_path))
    (tmp_path / certificates.PUBLIC_KEY_FILE).write_text(json.dumps(signer.public_document()))
    assert runner.invoke(app, ["verify-certificate", str(cert)]).exit_code == 0

    tampered = document(signer)
    tampered["record"]["acknowledgements"][0]["removed"] = {"calls": 3}
    cert.write_text(json.dumps(tampered))
    result = runner.invoke(app, ["verify-certificate", str(cert), "--key", signer.public_key])
    assert result.exit_code == 1
    assert "INVALID" in result.output and "altered" in result.output


def test_make_up_generates_its_signing_key_once_owner_only(tmp_path: Path) -> None:
    from clashtor_common.devstack import ensure_certificate_key

    first = ensure_certificate_key(tmp_path)
    assert ensure_certificate_key(tmp_path) == first  # kept across restarts
    private = tmp_path / certificates.SIGNING_KEY_FILE
    assert private.stat().st_mode & 0o077 == 0
    public = json.loads((tmp_path / certificates.PUBLIC_KEY_FILE).read_text())
    assert public == CertificateSigner.from_config(first).public_document()
    assert first not in (tmp_path / certificates.PUBLIC_KEY_FILE).read_text()
