"""The export contract: every service's export part has the one shape privacy assembles.

On the running system, a user with an account, calls, transcripts and scores asks for
their own export; each object an ``export-part-ready`` names is read, decrypted and validated
against ``schemas/export-part.v1.json``. A service whose part drifts fails here, not in
a user's failed export (issue 11, hole 8: the gateway's ``{service, users}``).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clashtor_callgen import generate_call, short_script
from clashtor_common.crypto import Keyring
from clashtor_common.events import ExportPartReady, Topic
from clashtor_common.settings import DEV_MASTER_KEYS
from clashtor_common.testing.kafka import TopicReader
from privacy.settings import PrivacySettings

from ..e2e.client import Clashtor
from ..e2e.stack import Stack

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "export-part.v1.json").read_text())
pytestmark = pytest.mark.e2e
EXPORT_SERVICES = PrivacySettings().export_services


async def _parts(stack: Stack, request_id: str) -> dict[str, dict[str, Any]]:
    """Every service's decrypted part for ``request_id`` (the stack runs on dev keys)."""
    reader = await TopicReader(stack.kafka_bootstrap, Topic.EXPORT_PART_READY.value).start()
    try:
        events = await reader.wait_for(
            lambda e: e.payload().request_id == request_id,  # type: ignore[attr-defined]
            count=len(EXPORT_SERVICES),
            timeout=120,
        )
    finally:
        await reader.stop()
    keyring = Keyring.from_config(DEV_MASTER_KEYS)
    parts: dict[str, dict[str, Any]] = {}
    assert stack.s3
    async with stack.s3.async_client() as s3:
        for event in events:
            ready = event.payload()
            assert isinstance(ready, ExportPartReady)
            if ready.part is not None:
                got = await s3.get_object(Bucket=ready.part.bucket, Key=ready.part.key)
                blob = await got["Body"].read()
                parts[ready.service] = json.loads(keyring.decrypt(blob))
    return parts


def test_every_services_export_part_follows_the_one_schema(stack: Stack) -> None:
    api = Clashtor(stack.gateway)
    owner = api.signup()["user"]
    call = api.upload(
        generate_call(short_script(), layout="stereo", fmt="wav").path,
        title="contract",
        participants=[{"name": "Olive Owner", "email": owner["email"], "role": "rep"}],
    )["id"]
    api.wait_for_status(call, "scored")
    request_id = api.privacy("export", {"type": "user", "id": owner["id"]})
    deadline = time.monotonic() + 120
    while api.request(request_id)["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, "export did not finish"
        time.sleep(1)
    parts = asyncio.run(_parts(stack, request_id))
    assert {"gateway", "ingest", "transcribe", "score"} <= set(parts), sorted(parts)
    for service, part in parts.items():
        jsonschema.validate(part, SCHEMA)
        assert part["service"] == service and part["request_id"] == request_id
    assert api.request(request_id)["status"] == "completed"
    api.close()
