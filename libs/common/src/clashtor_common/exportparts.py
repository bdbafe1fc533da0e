"""One service's part of a data export: the JSON document every service writes.

Each service answers ``export-requested`` with the items it holds about the subject,
as one keyring-encrypted JSON object in its own bucket, announced by
``export-part-ready`` with its bucket and key (the contract in
``tests/contract/test_export_parts.py``). An empty answer has no object.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from clashtor_common.crypto import Keyring
from clashtor_common.events import ExportPartReady, ExportRequested
from clashtor_common.s3 import S3Store


def item(kind: str, row: object, fields: str, **values: Any) -> dict[str, Any]:
    """One exported record: its ``kind``, the ``fields`` of ``row`` named in a
    space-separated string (a datetime as ISO 8601 text), then ``values`` (fields
    renamed or computed on the way out)."""
    out: dict[str, Any] = {"kind": kind}
    for name in fields.split():
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    out.update(values)
    return out


def part_key(request_id: str, service: str) -> str:
    return f"exports/{request_id}/{service}.json.enc"


def org_part_key(org_id: str, request_id: str, service: str) -> str:
    """A part kept under the organization's prefix (``orgs/<org>/``), which erasing the
    organization deletes whole."""
    return f"orgs/{org_id}/{part_key(request_id, service)}"


async def write_part(
    *,
    service: str,
    request: ExportRequested,
    items: list[dict[str, Any]],
    s3: S3Store,
    keyring: Keyring,
    key: str | None = None,
    extra: dict[str, Any] | None = None,
    details: str = "",
) -> ExportPartReady:
    """Store ``items`` as the service's encrypted part and say where it is.

    ``key`` places the part (``part_key`` unless the service keeps its parts under the
    organization's prefix, so that erasing the organization removes them too); ``extra``
    adds top-level fields beside the items (ingest's ``files``); ``details`` is a note
    for the requester. Encrypting runs off the event loop: a part may be large."""
    if not items:
        return ExportPartReady(request_id=request.request_id, service=service, part=None, items=0)
    document = {
        "service": service,
        "request_id": request.request_id,
        "subject": request.subject.model_dump(mode="json"),
        "generated_at": datetime.now(UTC).isoformat(),
        "items": items,
        **(extra or {}),
    }
    key = key or part_key(request.request_id, service)
    blob = await asyncio.to_thread(lambda: keyring.encrypt(json.dumps(document).encode()))
    await s3.put_bytes(key, blob)
    return ExportPartReady(
        request_id=request.request_id,
        service=service,
        part=s3.ref(key),
        items=len(items),
        details=details,
    )
