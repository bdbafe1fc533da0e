"""The transcription queue on the real database: fair order, leases, an erasure that
empties it of the subject's calls, a worker killed with SIGKILL mid-call whose job
another worker picks up and finishes once, and a worker whose lease was taken over
(fenced: it neither renews, nor gives back, nor finishes the job)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import delete, func, select

from clashtor_common.backoff import Retries
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import utcnow
from clashtor_common.events import Envelope, ErasureRequested, Subject, Topic, make_event
from clashtor_common.inbox import InboxRecord
from clashtor_common.migrate import find_migrations, upgrade_head
from clashtor_common.outbox import OutboxRecord
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.waiting import wait_until
from transcribe import main as transcribe_main
from transcribe.adapters.objects import transcript_key
from transcribe.adapters.tables import TABLES, ErasedCall, JobSubject, OrgTurn, TranscriptionJob
from transcribe.bootstrap import bootstrap
from transcribe.context import TranscribeContext, context_of, workers_of
from transcribe.domain.outcomes import CallStatus
from transcribe.service_layer.privacy import erase_subject
from transcribe.service_layer.workers import TranscriptionWorkers
from transcribe.settings import TranscribeSettings

from .support import new_org, participant, record_of

KILLED_WORKER = Path(__file__).with_name("killed_worker.py")
LEASE_SECONDS = 2.0


@pytest.fixture(scope="module")
def settings(settings: TranscribeSettings) -> TranscribeSettings:
    return settings.model_copy(update={"job_lease_seconds": LEASE_SECONDS})


@pytest.fixture(scope="module")
async def runtime(settings: TranscribeSettings) -> AsyncIterator[Any]:
    """The service wired as in production, its app not started: the tests drive the
    workers themselves (no consumer, no background worker racing them)."""
    await upgrade_head(
        settings.database_url,
        find_migrations(transcribe_main.__file__),
        (OutboxRecord, InboxRecord, *TABLES),
    )
    rt = bootstrap(settings)
    yield rt
    await context_of(rt).aclose()
    await rt.db.dispose()


@pytest.fixture
async def ctx(runtime: Any) -> TranscribeContext:
    context = context_of(runtime)
    async with context.db.session() as session:  # each test starts with an empty queue
        await session.execute(delete(TranscriptionJob))
        await session.execute(delete(OrgTurn))
    return context


@pytest.fixture
def workers(runtime: Any) -> TranscriptionWorkers:
    return workers_of(runtime)


async def _admit(ctx: TranscribeContext, envelope: Envelope) -> None:
    async with ctx.db.session() as session:
        assert await ctx.queue.admit(session, envelope, envelope.data["call_id"])


def _upload_event(uploader: Any, org: str) -> Envelope:
    return uploader.call_uploaded(org, str(uuid.uuid4()), uploader.store.ref("absent"))


async def test_one_call_after_another_organizations_burst_of_20_is_taken_second(ctx, uploader):
    burst, single = new_org(), new_org()
    for _ in range(20):
        await _admit(ctx, _upload_event(uploader, burst))
    await _admit(ctx, _upload_event(uploader, single))

    taken = []
    for _ in range(3):
        claim = await ctx.queue.claim()
        assert claim is not None
        taken.append(claim.envelope.org_id)
    assert taken == [burst, single, burst]


async def test_first_come_first_served_when_fair_scheduling_is_off(ctx, uploader):
    burst, single = new_org(), new_org()
    for _ in range(3):
        await _admit(ctx, _upload_event(uploader, burst))
    await _admit(ctx, _upload_event(uploader, single))
    ctx.queue.fair = False
    try:
        taken = [(await ctx.queue.claim()).envelope.org_id for _ in range(4)]  # type: ignore[union-attr]
    finally:
        ctx.queue.fair = True
    assert taken == [burst, burst, burst, single]


async def test_a_leased_job_is_not_taken_again_until_its_lease_runs_out(ctx, uploader):
    event = _upload_event(uploader, new_org())
    await _admit(ctx, event)
    first = await ctx.queue.claim()
    assert first is not None and first.envelope.id == event.id
    assert await ctx.queue.claim() is None  # held
    later = utcnow() + timedelta(seconds=LEASE_SECONDS + 1)
    again = await ctx.queue.claim(now=later)
    assert again is not None and again.call_id == first.call_id


async def test_a_twin_upload_of_a_queued_call_is_not_queued_twice(ctx, uploader):
    event = _upload_event(uploader, new_org())
    await _admit(ctx, event)
    async with ctx.db.session() as session:
        assert not await ctx.queue.admit(session, event, event.data["call_id"])
    assert await ctx.queue.pending() == 1


def _settings_json(settings: TranscribeSettings) -> str:
    values = {
        k: v.get_secret_value() if isinstance(v, SecretStr) else v
        for k, v in settings.model_dump().items()
    }
    return json.dumps(values, default=str)


async def _outbox_count(ctx: TranscribeContext, topic: str, call_id: str) -> int:
    async with ctx.db.session() as session:
        rows = await session.execute(
            select(func.count())
            .select_from(OutboxRecord)
            .where(OutboxRecord.topic == topic, OutboxRecord.key == call_id)
        )
        return int(rows.scalar_one())


async def test_a_job_of_a_worker_killed_mid_call_is_picked_again_and_transcribed_once(
    ctx, workers, uploader, settings, short_stereo_call
):
    org = new_org()
    event = await uploader.stage(org, short_stereo_call.read_bytes(), channels=2)
    call_id = event.data["call_id"]
    await _admit(ctx, event)

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(KILLED_WORKER),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(KILLED_WORKER.parent)},
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_settings_json(settings).encode())
    proc.stdin.close()
    assert (await proc.stdout.readline()).decode().split() == ["claimed", call_id]
    # it has started the call (its first progress report is committed): kill it there
    await wait_until(lambda: _outbox_count(ctx, Topic.CALL_PROGRESSED.value, call_id))
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert await ctx.queue.pending() == 1, "the worker finished before it was killed"
    assert await record_of(ctx, call_id) is None

    assert await workers.run_next() is None  # its lease still holds
    await wait_until(workers.run_next, timeout=60)  # then another worker takes it

    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.TRANSCRIBED
    assert await ctx.queue.pending() == 0
    assert await _outbox_count(ctx, Topic.CALL_TRANSCRIBED.value, call_id) == 1
    async with ctx.db.session() as session:
        jobs = await session.execute(select(func.count()).select_from(TranscriptionJob))
        assert jobs.scalar_one() == 0


async def test_a_worker_whose_lease_was_taken_over_renews_and_finishes_nothing(
    ctx, workers, uploader
):
    event = _upload_event(uploader, new_org())  # its recording is gone: call-failed, quickly
    call_id = event.data["call_id"]
    await _admit(ctx, event)
    stale = await ctx.queue.claim()
    assert stale is not None
    # its lease runs out (the database was away longer than the lease): another claims it
    current = await ctx.queue.claim(now=utcnow() + timedelta(seconds=LEASE_SECONDS + 1))
    assert current is not None and current.call_id == call_id

    assert await ctx.queue.renew(stale) is False
    assert await ctx.queue.retry_later(stale, 0, "stale", failed=True) is False
    async with ctx.db.session() as session:
        job = await session.get(TranscriptionJob, call_id)
        assert job is not None and job.attempts == 0 and job.last_error is None

    await workers.run(current)  # the holder settles the call: one result, one event
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.FAILED
    await workers.run(stale)  # the stale worker runs to its end: its outcome is dropped
    assert await _outbox_count(ctx, Topic.CALL_FAILED.value, call_id) == 1
    assert await ctx.queue.pending() == 0


async def test_a_worker_whose_lease_is_taken_over_mid_call_stops_and_commits_nothing(
    ctx, workers, uploader, short_stereo_call
):
    event = await uploader.stage(new_org(), short_stereo_call.read_bytes(), channels=2)
    call_id = event.data["call_id"]
    await _admit(ctx, event)
    stale = await ctx.queue.claim()
    assert stale is not None
    running = asyncio.create_task(workers.run(stale))
    # it has started the call (its first progress report is committed) when another
    # worker takes the job over, as after an outage longer than the lease
    await wait_until(lambda: _outbox_count(ctx, Topic.CALL_PROGRESSED.value, call_id))
    current = await ctx.queue.claim(now=utcnow() + timedelta(seconds=LEASE_SECONDS + 1))
    assert current is not None and current.call_id == call_id

    await running  # its next renewal finds the lease lost: it stops
    assert await record_of(ctx, call_id) is None
    assert await ctx.queue.pending() == 1

    await workers.run(current)
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.TRANSCRIBED
    assert await _outbox_count(ctx, Topic.CALL_TRANSCRIBED.value, call_id) == 1
    assert await ctx.queue.pending() == 0


async def test_erasing_a_participant_takes_their_queued_calls_out_of_the_queue(ctx, uploader):
    org = new_org()
    fp = uploader.fp("prospect@buyer.test")
    theirs = uploader.call_uploaded(
        org, str(uuid.uuid4()), uploader.store.ref("absent"), participants=[participant(fp=fp)]
    )
    others = uploader.call_uploaded(
        org,
        str(uuid.uuid4()),
        uploader.store.ref("absent"),
        participants=[participant(fp=uploader.fp("someone@else.test"))],
    )
    for event in (theirs, others):
        await _admit(ctx, event)

    erasure = make_event(
        erasure_requested("participant", fingerprint=fp, request_id="req-queued"),
        source="privacy",
        org_id=org,
        key=org,
    )
    async with ctx.db.session() as session:
        await erase_subject(ctx, session, erasure, erasure.payload_as(ErasureRequested))

    async with ctx.db.session() as session:
        left = [e.data["call_id"] for e in await ctx.queue.queued(session, org)]
        tombstone = await session.get(ErasedCall, theirs.data["call_id"])
    assert left == [others.data["call_id"]]
    assert tombstone is not None and tombstone.request_id == "req-queued"


async def test_erasing_a_user_takes_only_their_queued_calls_found_by_the_index(ctx, uploader):
    org = new_org()
    theirs = uploader.call_uploaded(
        org, str(uuid.uuid4()), uploader.store.ref("a"), uploader="rep-9"
    )
    others = uploader.call_uploaded(
        org, str(uuid.uuid4()), uploader.store.ref("b"), uploader="rep-2"
    )
    elsewhere = uploader.call_uploaded(
        new_org(), str(uuid.uuid4()), uploader.store.ref("c"), uploader="rep-9"
    )
    for event in (theirs, others, elsewhere):
        await _admit(ctx, event)
    rep = Subject(type="user", id="rep-9")
    async with ctx.db.session() as session:
        about = await ctx.queue.queued_about(session, org, rep)
    assert [e.id for e in about] == [theirs.id]  # another org's call of the same id: not

    erasure = make_event(
        erasure_requested(rep, request_id="req-user"), source="privacy", org_id=org, key=org
    )
    async with ctx.db.session() as session:
        await erase_subject(ctx, session, erasure, erasure.payload_as(ErasureRequested))

    async with ctx.db.session() as session:
        left = [e.data["call_id"] for e in await ctx.queue.queued(session, org)]
        indexed = await session.execute(
            select(JobSubject.call_id).where(JobSubject.call_id == theirs.data["call_id"])
        )
        assert indexed.scalars().all() == []  # the index rows left with the job
    assert left == [others.data["call_id"]]
    assert await ctx.queue.pending() == 2


async def test_a_finished_job_leaves_no_index_rows(ctx, workers, uploader):
    event = _upload_event(uploader, new_org())
    await _admit(ctx, event)
    async with ctx.db.session() as session:
        rows = await session.execute(select(func.count()).select_from(JobSubject))
        assert rows.scalar_one() == 1  # its uploader
    assert await workers.run_next() == event.data["call_id"]
    async with ctx.db.session() as session:
        rows = await session.execute(select(func.count()).select_from(JobSubject))
        assert rows.scalar_one() == 0


# an erasure while a worker runs the call -------------------------------------------------


async def _erase_call(ctx: TranscribeContext, org: str, call_id: str) -> None:
    erasure = make_event(
        erasure_requested("call", call_id, request_id=f"req-{call_id}"),
        source="privacy",
        org_id=org,
        key=org,
    )
    async with ctx.db.session() as session:
        await erase_subject(ctx, session, erasure, erasure.payload_as(ErasureRequested))


async def _left_of(ctx: TranscribeContext, org: str, call_id: str) -> tuple[list[str], list[str]]:
    """The call's transcript objects and data key rows that are still there."""
    objects = await ctx.objects.store.list_keys(transcript_key(org, call_id))
    async with ctx.db.session() as session:
        keys = await ctx.keys.load(session, [call_key_id(call_id)])
    return objects, sorted(keys)


async def _running(ctx: TranscribeContext, uploader: Any, call: Any) -> tuple[str, str, Any]:
    event = await uploader.stage(new_org(), call.read_bytes(), channels=2)
    await _admit(ctx, event)
    claim = await ctx.queue.claim()
    assert claim is not None and claim.call_id == event.data["call_id"]
    return event.org_id, claim.call_id, claim


async def test_a_call_erased_while_transcribed_keeps_no_key_when_its_worker_checks_first(
    ctx, workers, uploader, short_stereo_call, monkeypatch
):
    """The worker reaches its last check (no renewal comes first: a long lease): the call
    is erased, its finish finds the job gone and rolls back; the key is destroyed anyway,
    and never made again once the erasure's tombstone is there."""
    monkeypatch.setattr(ctx.queue, "lease", timedelta(seconds=600))
    org, call_id, claim = await _running(ctx, uploader, short_stereo_call)
    transcribing, release = asyncio.Event(), asyncio.Event()
    engine_transcribe = ctx.engine.transcribe

    async def held(*args: Any, **kwargs: Any) -> Any:
        transcript = await engine_transcribe(*args, **kwargs)
        transcribing.set()
        await release.wait()
        return transcript

    monkeypatch.setattr(ctx.engine, "transcribe", held)
    running = asyncio.create_task(workers.run(claim))
    await transcribing.wait()
    await _erase_call(ctx, org, call_id)
    release.set()
    await running

    assert await _left_of(ctx, org, call_id) == ([], [])
    assert await record_of(ctx, call_id) is None
    assert await _outbox_count(ctx, Topic.CALL_TRANSCRIBED.value, call_id) == 0


@pytest.mark.parametrize("erased", ["before the put", "after the put"])
async def test_a_call_erased_while_transcribed_keeps_no_object_or_key_when_its_lease_is_lost(
    ctx, workers, uploader, short_stereo_call, monkeypatch, erased
):
    """The erasure takes the job while the worker writes the transcript (its key already
    made); the worker's next renewal finds the job gone and stops it: neither the object
    nor the key outlives the erasure, whichever of the put and the erasure came first."""
    org, call_id, claim = await _running(ctx, uploader, short_stereo_call)
    putting, written, erasure_done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    put = ctx.objects.put

    async def held(key: str, ciphertext: bytes) -> None:
        putting.set()
        if erased == "before the put":
            await erasure_done.wait()
        await put(key, ciphertext)
        written.set()
        await asyncio.Event().wait()  # until the lost lease stops the work

    monkeypatch.setattr(ctx.objects, "put", held)
    running = asyncio.create_task(workers.run(claim))
    await (written if erased == "after the put" else putting).wait()
    assert (await _left_of(ctx, org, call_id))[1] == [call_key_id(call_id)]
    await _erase_call(ctx, org, call_id)
    erasure_done.set()
    await running

    assert await _left_of(ctx, org, call_id) == ([], [])
    assert await record_of(ctx, call_id) is None


async def test_a_renewal_that_runs_after_the_workers_own_finish_does_not_stop_it(
    ctx, workers, uploader
):
    """A renewal that waited behind the worker's own finish finds the job gone: that is
    no lost lease, the work (closing its session) is not cancelled."""
    await _admit(ctx, _upload_event(uploader, new_org()))
    claim = await ctx.queue.claim()
    assert claim is not None
    async with ctx.db.session() as session:  # the worker's outcome, committed
        assert await ctx.queue.finish(session, claim)
        workers._settled.add(claim.token)
    work = asyncio.create_task(asyncio.Event().wait())  # still closing its session
    try:
        await workers._keep_leased(claim, work)  # its renewal finds the job gone
        assert work.cancelling() == 0
    finally:
        workers._settled.discard(claim.token)
        work.cancel()


async def test_a_dead_letter_publish_that_hangs_gives_up_and_commits_nothing(ctx, uploader):
    """The publish runs in the job's fenced transaction (its row lock, a SQLite turn):
    a broker that does not answer is given up on well within the lease."""

    async def unanswered(claim: Any, exc: BaseException) -> None:
        await asyncio.Event().wait()

    workers = TranscriptionWorkers(
        ctx,
        ctx.queue,
        dead_letter=unanswered,
        concurrency=1,
        poll_seconds=1,
        retries=Retries(max_attempts=1, backoff_seconds=0.1, backoff_max=1),
    )
    await _admit(ctx, _upload_event(uploader, new_org()))
    claim = await ctx.queue.claim()
    assert claim is not None
    async with asyncio.timeout(20) as guard:
        with pytest.raises(TimeoutError):
            await workers._bury(claim, RuntimeError("broken"))
    assert not guard.expired()
    assert await ctx.queue.pending() == 1  # rolled back: tried again once the lease ends
    assert await ctx.queue.renew(claim)
