"""``make up``'s own secrets: random, made on first start, kept in ``var/secrets/stack.json``.

The development defaults in the code are public, so a local stack running on them would
let anyone forge a ``system`` identity or read its encrypted data. On first start this
module draws fresh ones (0600 file, never printed) and every later start reuses them.
Data written before the file existed stays readable: the development master key is kept
as a second, decrypt-only key (``Keyring`` decrypts with any key, encrypts with the
first), and the email fingerprint secret stays the old one when databases already exist,
so lookups by email keep finding older rows.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from clashtor_common.crypto import Keyring
from clashtor_common.settings import DEV_FINGERPRINT_SECRET, DEV_MASTER_KEYS

FILE = "secrets/stack.json"
"""Beside the erasure-certificate signing key (``clashtor_common.certificates``)."""


def _draw(var: Path, services: tuple[str, ...]) -> dict[str, str]:
    had_data = any((var / "db").glob("*.db"))
    values = {
        "identity_secret": secrets.token_urlsafe(48),
        "fingerprint_secret": DEV_FINGERPRINT_SECRET if had_data else secrets.token_urlsafe(48),
        "csrf_secret": secrets.token_urlsafe(48),
        "download_secret": secrets.token_urlsafe(48),
    }
    for name in services:
        values[f"{name}_master_keys"] = f"{name}1:{Keyring.generate_key()},{DEV_MASTER_KEYS}"
    return values


def load_or_create(var: Path, services: tuple[str, ...]) -> dict[str, str]:
    """The stack's secrets, drawn once and stored in ``var/secrets/stack.json``."""
    path = var / FILE
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        missing = {k: v for k, v in _draw(var, services).items() if k not in stored}
        if not missing:
            return stored
        values = {**missing, **stored}
    else:
        values = _draw(var, services)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh, indent=2)
    return values


def service_secrets(values: dict[str, str], name: str) -> dict[str, str]:
    """The environment variables carrying ``values`` to service ``name``."""
    prefix = name.upper() + "_"
    env = {
        prefix + "MASTER_KEYS": _keyring_of(values, name),
        prefix + "IDENTITY_SECRET": values["identity_secret"],
        prefix + "FINGERPRINT_SECRET": values["fingerprint_secret"],
    }
    if name == "gateway":
        env["GATEWAY_CSRF_SECRET"] = values["csrf_secret"]
    if name == "privacy":
        env["PRIVACY_DOWNLOAD_SECRET"] = values["download_secret"]
    return env


def _keyring_of(values: dict[str, str], name: str) -> str:
    """The service's own keys (its first encrypts), then the other services' keys.

    Services read each other's encrypted objects by reference (transcribe decrypts
    ingest's recordings, score transcribe's transcripts, privacy every export part),
    so each keyring must unwrap the others' data keys; each still encrypts with its own.
    """
    own = values[f"{name}_master_keys"]
    keys = own.split(",")
    kids = {k.split(":", 1)[0] for k in keys}
    for key, value in sorted(values.items()):
        if not key.endswith("_master_keys") or key == f"{name}_master_keys":
            continue
        first = value.split(",", 1)[0]
        if first.split(":", 1)[0] not in kids:
            keys.append(first)
            kids.add(first.split(":", 1)[0])
    return ",".join(keys)
