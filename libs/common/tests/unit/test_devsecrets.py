"""``make up`` draws its own secrets once instead of running on the published defaults."""

from __future__ import annotations

import stat
from pathlib import Path

from clashtor_common import devsecrets
from clashtor_common.crypto import Keyring
from clashtor_common.settings import (
    DEV_FINGERPRINT_SECRET,
    DEV_IDENTITY_SECRET,
    DEV_MASTER_KEYS,
)

SERVICES = ("ingest", "gateway", "privacy")


def test_first_start_draws_private_secrets_and_later_starts_reuse_them(tmp_path: Path) -> None:
    first = devsecrets.load_or_create(tmp_path, SERVICES)
    assert first["identity_secret"] != DEV_IDENTITY_SECRET
    assert first["fingerprint_secret"] != DEV_FINGERPRINT_SECRET
    assert first["ingest_master_keys"] != first["gateway_master_keys"]
    assert stat.S_IMODE((tmp_path / devsecrets.FILE).stat().st_mode) == 0o600
    assert devsecrets.load_or_create(tmp_path, SERVICES) == first

    env = devsecrets.service_secrets(first, "gateway")
    assert env["GATEWAY_IDENTITY_SECRET"] == first["identity_secret"]
    assert env["GATEWAY_CSRF_SECRET"] == first["csrf_secret"]
    assert "PRIVACY_DOWNLOAD_SECRET" in devsecrets.service_secrets(first, "privacy")


def test_data_written_with_the_development_key_stays_readable(tmp_path: Path) -> None:
    old = Keyring.from_config(DEV_MASTER_KEYS).encrypt(b"an old call")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "ingest.db").write_bytes(b"")
    values = devsecrets.load_or_create(tmp_path, SERVICES)
    keyring = Keyring.from_config(values["ingest_master_keys"])
    assert keyring.decrypt(old) == b"an old call"
    assert values["ingest_master_keys"].startswith("ingest1:")  # the new key encrypts
    assert values["fingerprint_secret"] == DEV_FINGERPRINT_SECRET  # older rows still found


def test_each_service_encrypts_with_its_own_key_and_decrypts_the_others(tmp_path: Path) -> None:
    values = devsecrets.load_or_create(tmp_path, SERVICES)
    ingest = Keyring.from_config(devsecrets.service_secrets(values, "ingest")["INGEST_MASTER_KEYS"])
    privacy = Keyring.from_config(
        devsecrets.service_secrets(values, "privacy")["PRIVACY_MASTER_KEYS"]
    )
    sealed = ingest.encrypt(b"a recording", aad=b"call-1")
    assert privacy.decrypt(sealed, aad=b"call-1") == b"a recording"
    assert privacy.encrypt(b"x") != ingest.encrypt(b"x")
