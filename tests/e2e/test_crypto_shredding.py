"""Crypto-shredding on the real stack: after an erasure nothing is recoverable from the raw
bytes of every disk and topic, with the master keys in hand (the scenario: ``shredding``).

The stack runs on SQLite (not PostgreSQL) so that every database byte is a file this test
can read: every SQLite file with its WAL. ``test_crypto_shredding_postgres`` does the same
on a PostgreSQL cluster of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .raw_scan import sqlite_files
from .shredding import EMAIL, PHRASE, erase_and_scan
from .stack import Stack


@pytest.fixture(scope="module")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLASHTOR_TEST_SQLITE", "1")  # every database is a file we can read
        running = Stack(tmp_path_factory.mktemp("shred")).start()
    yield running
    running.stop()


def test_after_an_erasure_nothing_is_recoverable_with_the_master_keys(
    sqlite_stack: Stack,
) -> None:
    before, after = erase_and_scan(
        sqlite_stack, lambda: sqlite_files(sqlite_stack.database_urls.values())
    )
    # The scan works: with the master keys, the disks and topics give everything up.
    everything = set().union(*before.values())
    assert {EMAIL, PHRASE, "<audio>"} <= everything, before
    assert any(".db" in where for where, what in before.items() if EMAIL in what)
    assert any("/s3/" in where for where, what in before.items() if "<audio>" in what)
    assert after == {}
