"""The export part format services deliver, and the one bundle privacy assembles from them.

Part format (the contract every service answering ``export-requested`` follows):

- the service uploads ONE object per request: ``Keyring.encrypt(json_bytes)`` (the
  record format ``CTR1``, no associated data), and emits ``export-part-ready`` naming
  that object in ``part`` (``{bucket, key}``; privacy reads it with its own S3 client)
  and the number of items in ``items`` (``part`` = null and ``items`` = 0 when it holds nothing about the subject;
  ``status`` = "failed" with ``details`` when it could not produce the part);
- the decrypted bytes are a UTF-8 JSON document::

      {
        "service": "ingest",                       # must equal the event's service
        "request_id": "…",                         # optional; must match when present
        "subject": {"type": "user", "id": "u1", "fingerprint": null},
                                                   # exactly the ExportRequested subject
        "items": [ {...}, ... ],                   # any JSON objects, the service's records
        "files": {"call-1.wav": "<base64>"}        # optional binary files (audio when
      }                                            # include_audio), flat names only

The bundle is a ZIP: ``manifest.json`` (request id, subject type + id, generated_at,
one entry per part with its item count and the SHA-256 of every file it added),
``<service>.json`` per part with items, and ``files/<service>/<name>`` for files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from clashtor_common.events import Subject
from privacy.domain.subjects import SubjectRef

BUNDLE_FORMAT = "clashtor-export/1"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class InvalidPart(ValueError):
    """A part that breaks the format; the message names the rule, never the content."""


class _PartDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    service: str
    request_id: str | None = None
    subject: Subject
    items: list[Any]
    files: dict[str, str] = {}


@dataclass(frozen=True)
class Part:
    """One service's decrypted, validated part."""

    service: str
    items: list[Any]
    files: dict[str, bytes] = field(default_factory=dict)


def parse_part(plain: bytes, *, service: str, request_id: str, subject: SubjectRef) -> Part:
    """Validate a decrypted part against the request it answers."""
    try:
        raw = json.loads(plain)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPart(f"part from {service} is not JSON") from exc
    try:
        doc = _PartDocument.model_validate(raw)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"][:1]) for e in exc.errors()})
        raise InvalidPart(f"part from {service} breaks the format at: {', '.join(fields)}") from exc
    if doc.service != service:
        raise InvalidPart(f"part announced by {service} names another service")
    if doc.request_id is not None and doc.request_id != request_id:
        raise InvalidPart(f"part from {service} belongs to another request")
    if (doc.subject.type, doc.subject.id, doc.subject.fingerprint) != (
        subject.type,
        subject.id,
        subject.fingerprint,
    ):
        raise InvalidPart(f"part from {service} is about another subject")
    files: dict[str, bytes] = {}
    for name, b64 in doc.files.items():
        if not _FILE_NAME.match(name):
            raise InvalidPart(f"part from {service} has a file name that is not a flat name")
        try:
            files[name] = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidPart(f"part from {service} has a file that is not base64") from exc
    return Part(service=service, items=list(doc.items), files=files)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(zf: zipfile.ZipFile, name: str, data: bytes, when: datetime) -> None:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(
    *,
    request_id: str,
    subject: SubjectRef,
    generated_at: datetime,
    include_audio: bool,
    parts: list[Part],
) -> tuple[bytes, dict[str, Any]]:
    """The ZIP bytes and its manifest. Parts with no items and no files add no file."""
    buf = io.BytesIO()
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(buf, "w") as zf:
        for part in sorted(parts, key=lambda p: p.service):
            entry: dict[str, Any] = {
                "service": part.service,
                "items": len(part.items),
                "file": None,
                "sha256": None,
                "bytes": 0,
                "files": [],
            }
            if part.items or part.files:
                body = json.dumps(
                    {"service": part.service, "subject": subject.public(), "items": part.items},
                    indent=2,
                    ensure_ascii=False,
                    sort_keys=True,
                ).encode()
                name = f"{part.service}.json"
                _write(zf, name, body, generated_at)
                entry.update(file=name, sha256=_sha256(body), bytes=len(body))
            for fname, data in sorted(part.files.items()):
                path = f"files/{part.service}/{fname}"
                _write(zf, path, data, generated_at)
                entry["files"].append(
                    {"name": fname, "path": path, "sha256": _sha256(data), "bytes": len(data)}
                )
            entries.append(entry)
        manifest = {
            "format": BUNDLE_FORMAT,
            "request_id": request_id,
            "subject": subject.public(),
            "generated_at": generated_at.isoformat(),
            "include_audio": include_audio,
            "parts": entries,
        }
        _write(zf, "manifest.json", json.dumps(manifest, indent=2).encode(), generated_at)
    return buf.getvalue(), manifest
