"""The transcription workers: take queued calls in fair order and transcribe each once.

``concurrency`` workers (``TRANSCRIBE_CONCURRENCY``) each loop: lease the next job
(``adapters.queue``: organizations take turns), keep the lease renewed while the call is
transcribed, then store the outcome, emit its event and delete the job in one
transaction (``handle_upload``). A worker killed mid-call commits nothing: its lease runs
out and another worker picks the job again; the transcript's S3 put is idempotent and
the row is written once.

A worker that is not dead but lost its lease (the database was away longer than the
lease, and another worker claimed the job meanwhile) must not finish it too: its next
renewal finds the claim's token gone and cancels the work, and its finish, fenced by the
same token, deletes nothing, so its transaction is rolled back (no second row, no second
``call-transcribed``, no stale result over the newer one). Its transcript object, if it
put one, is the same call's under the same key and is left to the new holder. A lease
lost to an erasure (which deleted the job) is different: no holder follows, so the
worker destroys the call's data key and deletes its object itself (``discard_if_erased``).

Failures are the bus's classes (``clashtor_common.failures``): a transient fault gives
the job back for a later try (never dead-lettered); a ``PermanentError``, or another
error ``max_attempts`` times, sends the event to ``call-uploaded.dlq`` and removes the
job and its inbox record, so an operator's redrive is admitted afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field

from opentelemetry import trace
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from clashtor_common.backoff import Retries
from clashtor_common.db import SQLITE_TURN_SECONDS
from clashtor_common.events import CallUploaded
from clashtor_common.failures import PermanentError, is_transient
from clashtor_common.inbox import InboxRecord
from clashtor_common.logs import log_context
from clashtor_common.telemetry import trace_context, tracer_provider
from transcribe.adapters.queue import Claim, JobQueue, LeaseLost
from transcribe.context import TranscribeContext
from transcribe.service_layer.transcription import discard_if_erased, handle_upload

log = logging.getLogger(__name__)

DeadLetter = Callable[[Claim, BaseException], Awaitable[None]]
"""Publish a job's event to the dead-letter topic, with the error."""


@dataclass(eq=False)
class TranscriptionWorkers:
    ctx: TranscribeContext
    queue: JobQueue
    _: KW_ONLY
    dead_letter: DeadLetter
    concurrency: int
    poll_seconds: float
    retries: Retries
    _tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    _transient: dict[str, int] = field(init=False, default_factory=dict)
    _publish_seconds: float = field(init=False)
    """The longest a dead-lettering publish may hold the job's row lock."""
    _settled: set[str] = field(init=False, default_factory=set)
    """Tokens of claims whose outcome is committed (a renewal that finds the job gone
    after that is no lost lease)."""
    _tracer: trace.Tracer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._publish_seconds = min(self.queue.lease.total_seconds(), SQLITE_TURN_SECONDS) / 3
        self._tracer = trace.get_tracer(
            "clashtor.transcribe.workers", tracer_provider=tracer_provider()
        )

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._loop(), name=f"transcribe-worker-{n}")
                for n in range(self.concurrency)
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _loop(self) -> None:
        while True:
            self.queue.arrived.clear()
            try:
                claim = await self.queue.claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away, or a replica raced us: try again
                (log.warning if is_transient(exc) else log.exception)("claim failed: %r", exc)
                claim = None
            if claim is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.queue.arrived.wait(), timeout=self.poll_seconds)
                continue
            await self.run(claim)

    async def run_next(self) -> str | None:
        """Claim and run one job now (tests); the call id, or None if none was ready."""
        claim = await self.queue.claim()
        if claim is None:
            return None
        await self.run(claim)
        return claim.call_id

    async def run(self, claim: Claim) -> None:
        """Run one leased job to its outcome, or give it back, or dead-letter it; stop
        (committing nothing) as soon as the lease turns out lost."""
        work = asyncio.create_task(self._attempt(claim))
        keeper = asyncio.create_task(self._keep_leased(claim, work))
        try:
            await work  # cancelling run cancels the work with it
        except asyncio.CancelledError:
            this = asyncio.current_task()
            if this is not None and this.cancelling():
                raise  # shutting down: the lease runs out and the job is picked again
            log.warning("call %s: lease lost; work stopped", claim.call_id)
            await self._after_lost_lease(claim)
        except LeaseLost:
            log.warning("call %s: lease lost; outcome dropped", claim.call_id)
            await self._after_lost_lease(claim)
        finally:
            self._settled.discard(claim.token)
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _after_lost_lease(self, claim: Claim) -> None:
        """The lease may be lost to an erasure (it removed the job): the data key and the
        transcript object this worker may have written are destroyed then, or they would
        outlive the erasure. Another worker's claim leaves them to that worker."""
        try:
            if await discard_if_erased(self.ctx, claim.envelope.org_id, claim.call_id):
                log.info("call %s was erased meanwhile: its output is discarded", claim.call_id)
        except Exception as exc:  # the erasure's own deletes already ran; log and go on
            log.warning(
                "call %s: could not discard an erased call's output: %r", claim.call_id, exc
            )

    async def _attempt(self, claim: Claim) -> None:
        try:
            with (
                trace_context(claim.trace),  # the admitting handler's trace goes on
                self._tracer.start_as_current_span(
                    "call-uploaded transcribe", attributes={"clashtor.call_id": claim.call_id}
                ),
                log_context(org_id=claim.envelope.org_id),
            ):
                await self._transcribe(claim)
            self._transient.pop(claim.call_id, None)
        except (asyncio.CancelledError, LeaseLost):
            raise
        except Exception as exc:
            await self._failed(claim, exc)

    async def _transcribe(self, claim: Claim) -> None:
        upload = claim.envelope.payload_as(CallUploaded)
        async with AsyncSession(self.ctx.db.engine, expire_on_commit=False) as session:
            await handle_upload(self.ctx, session, claim.envelope, upload)
            if not await self.queue.finish(session, claim):
                await session.rollback()
                raise LeaseLost(claim.call_id)
            self._settled.add(claim.token)  # before the commit: a renewal waits on it
            await session.commit()

    async def _keep_leased(self, claim: Claim, work: asyncio.Task[None]) -> None:
        """Renew the lease while ``work`` runs; cancel ``work`` once the lease is lost."""
        every = self.queue.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                held = await self.queue.renew(claim)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next renewal may pass; the lease has slack
                log.warning("could not renew the lease of call %s: %r", claim.call_id, exc)
                continue
            if not held:
                if claim.token not in self._settled:  # not our own finish, just committed
                    work.cancel()
                return

    async def _failed(self, claim: Claim, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        try:
            if isinstance(exc, PermanentError):
                await self._bury(claim, exc)
                return
            if is_transient(exc):
                tries = self._transient[claim.call_id] = self._transient.get(claim.call_id, 0) + 1
                delay = self.retries.delay(tries - 1)
                log.warning(
                    "call %s: transient failure, again in %.1fs: %s", claim.call_id, delay, error
                )
                held = await self.queue.retry_later(claim, delay, error, failed=False)
            elif claim.attempts + 1 >= self.retries.max_attempts:
                await self._bury(claim, exc)
                return
            else:
                delay = self.retries.delay(claim.attempts)
                log.exception("call %s failed (attempt %d)", claim.call_id, claim.attempts + 1)
                held = await self.queue.retry_later(claim, delay, error, failed=True)
        except LeaseLost:
            raise
        except Exception as again:  # the lease runs out and the job is tried again then
            log.warning("call %s: could not record the failure: %r", claim.call_id, again)
            return
        if not held:
            raise LeaseLost(claim.call_id)
        self._settled.add(claim.token)

    async def _bury(self, claim: Claim, exc: BaseException) -> None:
        """Dead-letter the event and remove the job and its inbox record, in that job's
        transaction: published only while the lease holds (a lost lease raises
        ``LeaseLost`` and commits nothing); a crash before the commit publishes it again."""
        async with self.ctx.db.session() as session:
            if not await self.queue.finish(session, claim):
                raise LeaseLost(claim.call_id)
            await session.execute(
                delete(InboxRecord).where(
                    col(InboxRecord.consumer) == self.ctx.settings.consumer_group,
                    col(InboxRecord.event_id) == claim.envelope.id,
                )
            )
            # bounded: the job's row lock (a SQLite turn) is held while the broker answers
            async with asyncio.timeout(self._publish_seconds):
                await self.dead_letter(claim, exc)
            self._settled.add(claim.token)
        self._transient.pop(claim.call_id, None)
        log.error(
            "dead-lettered call-uploaded %s (call %s): %s", claim.envelope.id, claim.call_id, exc
        )
