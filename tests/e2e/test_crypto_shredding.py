"""Crypto-shredding on the real stack: after an erasure nothing is recoverable from the raw
bytes of every disk and topic, with the master keys in hand.

One call with a participant is uploaded and scored. A raw scan (``raw_scan``) of every
byte under the S3 data directory, every SQLite file with its WAL, and every record of every
topic first shows that it works: with the master keys it recovers what was said, the
participant's email and the audio. Then the participant is erased through the public
privacy API; the same scan recovers nothing. The stack runs on SQLite (not PostgreSQL) so
that every database byte is a file this test can read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clashtor_callgen import Turn, generate_call
from clashtor_common.ops.replay import list_topics, read_topic
from clashtor_common.settings import DEV_MASTER_KEYS

from .client import Clashtor
from .raw_scan import RawScan, files_under, scan, sqlite_files
from .stack import Stack

EMAIL = "sasha.shredded@buyer.example"
PHRASE = "harvest festival"
SCRIPT = [
    Turn(0, "Thanks for joining. When do you need the pilot?"),
    Turn(1, "We need the pilot running before the harvest festival in October."),
]


@pytest.fixture(scope="module")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLASHTOR_TEST_SQLITE", "1")  # every database is a file we can read
        running = Stack(tmp_path_factory.mktemp("shred")).start()
    yield running
    running.stop()


def _records(stack: Stack) -> dict[str, bytes]:
    async def read_all() -> dict[str, bytes]:
        out = {}
        for topic in await list_topics(stack.kafka_bootstrap):
            for r in await read_topic(stack.kafka_bootstrap, topic):
                out[f"topic:{topic}/{r.partition}@{r.offset}"] = r.value
        return out

    return asyncio.run(read_all())


def recoverable(stack: Stack) -> dict[str, set[str]]:
    assert stack.s3
    scanner = RawScan.with_keys(DEV_MASTER_KEYS, [EMAIL, PHRASE])
    files = files_under(Path(stack.s3.data_dir)) + sqlite_files(stack.database_urls.values())
    return scan(scanner, files, _records(stack))


def test_after_an_erasure_nothing_is_recoverable_with_the_master_keys(
    sqlite_stack: Stack,
) -> None:
    api = Clashtor(sqlite_stack.gateway)
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

    # The scan works: with the master keys, the disks and topics give everything up.
    before = recoverable(sqlite_stack)
    everything = set().union(*before.values())
    assert {EMAIL, PHRASE, "<audio>"} <= everything, before
    assert any(".db" in where for where, what in before.items() if EMAIL in what)
    assert any("/s3/" in where for where, what in before.items() if "<audio>" in what)

    request_id = api.privacy("erasure", {"type": "participant", "email": EMAIL})
    done = api.wait_for_request(request_id, timeout=180)
    assert done["status"] == "completed", done
    acks = {a["service"]: a for a in done["acknowledgements"]}
    for service in ("ingest", "transcribe", "score"):
        assert acks[service]["details"]["removed"]["data_keys"] >= 1, acks[service]
    assert api.call(call_id).status_code == 404

    # Keys destroyed first, then the WAL truncated and the S3 volumes compacted (both
    # asynchronous after the commit): nothing is recoverable, master keys in hand.
    deadline, after = time.monotonic() + 90, before
    while time.monotonic() < deadline:
        after = recoverable(sqlite_stack)
        if not after:
            break
        time.sleep(3)
    assert after == {}
    api.close()
