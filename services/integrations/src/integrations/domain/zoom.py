"""Zoom's webhook rules and what a recording becomes, without I/O.

Zoom signs every notification with the app's Secret Token: ``x-zm-signature`` is
``v0=`` + hex HMAC-SHA256 of ``v0:{x-zm-request-timestamp}:{raw body}``. It checks our
endpoint with ``endpoint.url_validation``: the answer is the ``plainToken`` and its
hex HMAC-SHA256 under the same secret (``encryptedToken``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from clashtor_common.domain_errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from integrations.domain.targets import IPNetwork, TargetRefused, parse_target

URL_VALIDATION = "endpoint.url_validation"
RECORDING_COMPLETED = "recording.completed"
#: A user or admin removed the app from their Zoom account: its tokens are dead.
APP_DEAUTHORIZED = "app_deauthorized"
#: The file kinds a call can be made of, best first: Zoom's audio-only file, else the video.
AUDIO_FILE_TYPES = ("M4A", "MP4")

# An import's status. ``uploading``: its worker passed the erasure fence and is handing
# the file to ingest (shown as pending); ``erased``: the tombstone an erasure leaves
# (ids only, never listed or exported).
PENDING, UPLOADING, IMPORTED, FAILED, ERASED = (
    "pending",
    "uploading",
    "imported",
    "failed",
    "erased",
)

#: Ingest's refusals of an upload whose uploader or organization it erased: the import
#: is erased too (a tombstone), not a failure listed with the host and topic.
INGEST_ERASED_CODES = frozenset({"uploader_erased", "organization_erased", "source_erased"})


def hmac_hex(secret: str, message: str | bytes) -> str:
    raw = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    return {"plainToken": plain_token, "encryptedToken": hmac_hex(secret, plain_token)}


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def check_signature(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    max_age_seconds: float,
) -> None:
    """Refuse a notification Zoom did not sign, or signed too long ago (a replay)."""
    if not secret:
        raise not_configured("ZOOM_WEBHOOK_SECRET_TOKEN")
    if not timestamp or not signature:
        raise bad_signature("x-zm-request-timestamp and x-zm-signature are required")
    if not hmac.compare_digest(signature_of(secret, timestamp, body), signature):
        raise bad_signature("x-zm-signature does not match the body")
    try:
        sent = float(timestamp)
    except ValueError:
        raise bad_signature("x-zm-request-timestamp is not a number of seconds") from None
    if not math.isfinite(sent) or abs(now.timestamp() - sent) > max_age_seconds:
        raise NotAuthenticated(
            f"the notification is older than {int(max_age_seconds)} seconds", "zoom_stale"
        )


def parse_notification(body: bytes) -> dict[str, Any]:
    """The JSON object of a (signed) notification; anything else is a 400."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DomainError("the body is not JSON", "invalid_json") from None
    except RecursionError:  # a Server-to-Server app's admin signs whatever they like
        raise DomainError("the body is nested too deeply", "invalid_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise DomainError("a Zoom notification is a JSON object with an event", "invalid_json")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise DomainError("a Zoom notification has a payload object", "invalid_json")
    return data


@dataclass(frozen=True)
class RecordingFile:
    file_id: str
    file_type: str
    download_url: str


def pick_recording(files: list[Any]) -> RecordingFile | None:
    """The audio-only file of a recording, or its video when there is no audio file."""
    usable: dict[str, RecordingFile] = {}
    for item in files:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("file_type") or "").upper()
        file_id, url = item.get("id"), item.get("download_url")
        done = str(item.get("status") or "completed").lower() == "completed"
        if kind in AUDIO_FILE_TYPES and done and isinstance(file_id, str) and isinstance(url, str):
            usable.setdefault(kind, RecordingFile(file_id, kind, url))
    for kind in AUDIO_FILE_TYPES:
        if kind in usable:
            return usable[kind]
    return None


def on_hosts(url: str, hosts: Sequence[str]) -> bool:
    """Whether ``url`` is http(s), without credentials, on one of ``hosts`` or a
    subdomain of one (``zoom.us`` admits ``ssrweb.zoom.us``, not ``zoom.us.evil``)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.username or parts.password or not host:
        return False
    return any(host == h.lower() or host.endswith("." + h.lower()) for h in hosts)


def download_refusal(
    url: str, hosts: Sequence[str], plain_http_networks: tuple[IPNetwork, ...]
) -> str | None:
    """Why a recording download (or a redirect of one) may not go to ``url``, or None.

    It must be https on Zoom's hosts (``hosts`` and their subdomains). Plain http only
    to an address inside ``plain_http_networks``: the explicit allow-list of development
    and tests (a local Zoom stand-in), empty in production.
    """
    if not on_hosts(url, hosts):
        return "not on Zoom's hosts"
    try:
        target = parse_target(url)
    except TargetRefused as exc:
        return str(exc)
    if target.scheme == "https":
        return None
    try:
        address = ipaddress.ip_address(target.host)
    except ValueError:
        return "not https"
    if any(address in net for net in plain_http_networks if net.version == address.version):
        return None
    return "not https"


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def call_participants(
    host_email: str | None, people: list[dict[str, Any]], *, max_count: int
) -> list[dict[str, str]]:
    """Zoom's participants as call participants: the host and everyone of the host's
    email domain are reps, the others customers; one entry per person (Zoom lists a
    participant once per time they joined)."""
    host_domain = _domain(host_email or "")
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for person in people:
        email = str(person.get("user_email") or "").strip().lower()
        name = str(person.get("name") or "").strip()[:200]
        key = email or name.lower()
        if not key or key in seen:
            continue
        seen.add(key)
        same_side = bool(email) and (
            email == (host_email or "").lower() or _domain(email) == host_domain != ""
        )
        entry = {"role": "rep" if same_side else "customer"}
        if name:
            entry["name"] = name
        if email:
            entry["email"] = email
        out.append(entry)
        if len(out) == max_count:
            break
    return out


def bad_signature(message: str) -> NotAuthenticated:
    return NotAuthenticated(message, "zoom_signature_invalid")


def replayed() -> Conflict:
    return Conflict("this notification was received before", "zoom_replayed")


def not_connected() -> NotFound:
    return NotFound("this organization has not connected Zoom", "zoom_not_connected")


def not_configured(what: str) -> Conflict:
    """The server has no Zoom app set up: nothing a retry changes (an operator's to fix)."""
    return Conflict(f"Zoom is not configured on this server ({what})", "zoom_not_configured")


def invalid_state() -> InvalidInput:
    return InvalidInput(
        "this Zoom authorization is unknown, expired or another user's; start again",
        "zoom_state_invalid",
    )


def credentials_refused(detail: str) -> InvalidInput:
    return InvalidInput(
        f"Zoom refused these Server-to-Server app credentials ({detail}): check the "
        "account id, client id and client secret on the app's page",
        "zoom_credentials_refused",
    )


def unknown_webhook() -> NotFound:
    return NotFound("no Zoom connection has this notification URL", "zoom_webhook_unknown")


def account_mismatch() -> InvalidInput:
    return InvalidInput(
        "this notification is about another Zoom account than this connection's",
        "zoom_account_mismatch",
    )


def account_taken() -> Conflict:
    return Conflict("this Zoom account is connected to another organization", "zoom_account_taken")
