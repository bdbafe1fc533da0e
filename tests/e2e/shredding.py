"""The crypto-shredding scenario the raw-scan tests run on a stack (SQLite or PostgreSQL).

One call with a participant is uploaded and scored; a raw scan (``raw_scan``) of the
files the caller names (S3's data directory and the databases'), and of every record of
every topic, must recover what was said, the participant's email and the audio with the
master keys (the scan works); the participant is erased through the public privacy API;
then the same scan must recover nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from clashtor_callgen import Turn, generate_call
from clashtor_common.ops.replay import list_topics, read_topics
from clashtor_common.settings import DEV_MASTER_KEYS

from .client import Clashtor
from .raw_scan import RawScan, files_under, scan
from .stack import Stack

EMAIL = "sasha.shredded@buyer.example"
PHRASE = "harvest festival"
SCRIPT = [
    Turn(0, "Thanks for joining. When do you need the pilot?"),
    Turn(1, "We need the pilot running before the harvest festival in October."),
]

Findings = dict[str, set[str]]


def _records(stack: Stack) -> dict[str, bytes]:
    async def read_all() -> dict[str, bytes]:
        topics = await list_topics(stack.kafka_bootstrap)
        return {
            f"topic:{topic}/{r.partition}@{r.offset}": r.value
            for topic, records in (await read_topics(stack.kafka_bootstrap, topics)).items()
            for r in records
        }

    return asyncio.run(read_all())


def recoverable(stack: Stack, database_files: list[Path]) -> Findings:
    assert stack.s3
    scanner = RawScan.with_keys(DEV_MASTER_KEYS, [EMAIL, PHRASE])
    files = files_under(Path(stack.s3.data_dir)) + database_files
    return scan(scanner, files, _records(stack))


def erase_and_scan(
    stack: Stack, database_files: Callable[[], list[Path]], *, settle_seconds: float = 90
) -> tuple[Findings, Findings]:
    """(what the scan recovers before the erasure, what it recovers after)."""
    api = Clashtor(stack.gateway)
    try:
        api.signup()
        rep = {"name": "Rory Rep", "email": "rory.rep@seller.example", "role": "rep"}
        customer = {"name": "Sasha Shredded", "email": EMAIL, "role": "customer"}
        call_id = api.upload(
            generate_call(SCRIPT, layout="stereo", fmt="wav").path,
            title="Pilot timing",
            participants=[rep, customer],
        )["id"]
        call = api.wait_for_status(call_id, "scored")
        said = " ".join(u["text"] for u in call["transcript"]["utterances"]).lower()
        assert PHRASE in said, said

        before = recoverable(stack, database_files())

        request_id = api.privacy("erasure", {"type": "participant", "email": EMAIL})
        done = api.wait_for_request(request_id, timeout=180)
        assert done["status"] == "completed", done
        acks = {a["service"]: a for a in done["acknowledgements"]}
        for service in ("ingest", "transcribe", "score"):
            assert acks[service]["details"]["removed"]["data_keys"] >= 1, acks[service]
        assert api.call(call_id).status_code == 404

        # Keys destroyed first, then the databases compacted and the S3 volumes vacuumed
        # (asynchronous after the commit): wait for nothing to be recoverable.
        deadline, after = time.monotonic() + settle_seconds, before
        while time.monotonic() < deadline:
            after = recoverable(stack, database_files())
            if not after:
                break
            time.sleep(3)
        return before, after
    finally:
        api.close()
