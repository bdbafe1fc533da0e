"""Crypto-shredding on PostgreSQL: the raw scan of the cluster's every file (tables,
indexes, TOAST, free space, WAL) recovers the call's phrase and the participant's email
before the erasure and nothing after, with the master keys in hand.

The services run on a PostgreSQL cluster this test starts in a temporary directory
(``pg_cluster``: the shared server's files are not this test's to read), configured as
services/privacy/README.md asks of production. After an erasure each service rewrites its
key table (``VACUUM FULL``: a destroyed key row is a dead tuple a plain VACUUM leaves in
the page), closes the WAL segment and checkpoints (``clashtor_common.datakeys.compact``),
so no copy of a destroyed key is left in the cluster's files.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import pg_cluster
from .shredding import EMAIL, PHRASE, erase_and_scan
from .stack import Stack

pytestmark = pytest.mark.skipif(
    not pg_cluster.available(), reason="PostgreSQL server binaries (initdb, pg_ctl) not installed"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[pg_cluster.PgCluster]:
    running = pg_cluster.PgCluster().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pg_stack(
    tmp_path_factory: pytest.TempPathFactory, cluster: pg_cluster.PgCluster
) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("shred-pg"), databases=cluster.create_database)
    yield running.start()
    running.stop()


def test_after_an_erasure_nothing_is_recoverable_from_postgres_files_and_wal(
    pg_stack: Stack, cluster: pg_cluster.PgCluster
) -> None:
    assert all(url.startswith("postgresql") for url in pg_stack.database_urls.values())
    before, after = erase_and_scan(pg_stack, cluster.files)
    # The scan works on PostgreSQL's files: rows (participant emails) and the WAL.
    in_pg = {
        what: [where for where, found in before.items() if what in found and "pgdata" in where]
        for what in (EMAIL, PHRASE)
    }
    assert in_pg[EMAIL] and in_pg[PHRASE], before
    assert any("pg_wal" in where for where in in_pg[EMAIL] + in_pg[PHRASE]), in_pg
    assert after == {}
