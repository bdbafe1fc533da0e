"""Usage is analytics: a batch that cannot be written never breaks a shutdown or a listing,
and what waited is kept for the next batch."""

from __future__ import annotations

from pathlib import Path

from clashtor_common.db import Database
from gateway.adapters.usage_buffer import UsageRecorder
from gateway.domain.permissions import Role
from gateway.domain.principal import Principal


async def test_a_batch_that_cannot_be_written_waits_and_breaks_nothing(tmp_path: Path) -> None:
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/gateway.db")
    recorder = UsageRecorder(unreachable, flush_seconds=60, max_rows=10)
    rep = Principal(user_id="u1", org_id="o1", role=Role.REP, via="api_key", credential_id="k1")
    recorder.record(rep, method="GET", route="/v1/calls", status=200)
    try:
        await recorder.flush_now()  # what a listing does first
        await recorder.stop()  # before: raised, and the shutdown hooks after it never ran
        assert recorder.waiting == 1, "the row waits for the next batch"
    finally:
        await unreachable.dispose()
