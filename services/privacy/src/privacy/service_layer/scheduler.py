"""The privacy scheduler: the time-driven half of the workflows.

Each ``tick()``:

- re-sends ``erasure-requested`` (``services=[that one]``, ``attempt=n+1``) to every
  service that has not answered (or answered ``failed``) within
  ``erasure_resend_after_seconds``; after ``erasure_max_attempts`` sends the request is
  marked failed (a late answer still completes it);
- fails exports still missing parts after ``export_timeout_seconds``, naming the
  services that did not deliver;
- starts the permanent erasure of organizations deleted more than
  ``account_grace_days`` ago (the same fan-out, subject ``organization``);
- deletes export bundles older than ``export_bundle_ttl_seconds``.

Re-sends are claimed with a compare-and-set on the attempt counter, so two privacy
replicas (or a test calling ``tick()`` while the loop runs) never send one twice.
The loop started in the app lifespan calls ``tick()`` every
``scheduler_interval_seconds``; tests move a ``ManualClock`` and call ``tick()``.

Once a day (``retention_interval_seconds``) it also erases every call older than its
organization's ``call_retention_days`` through the same fan-out, requested by
``system:retention`` with an audit entry; a call one of whose subjects is restricted
is held. Privacy knows calls from ``call-uploaded`` (``privacy_calls``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from clashtor_common.events import ErasureRequested
from clashtor_common.periodic import Periodic
from privacy.adapters import repository as repo
from privacy.context import PrivacyContext
from privacy.domain.requests import AckState, AckStatus, Status, missing_services
from privacy.domain.retention import held_by, retention_cutoff
from privacy.service_layer.erasure import start_account_purge, start_retention_erasure
from privacy.service_layer.records import emit_event, fail_request, subject_of

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    resent: int = 0
    erasures_failed: int = 0
    exports_failed: int = 0
    purges_started: int = 0
    bundles_deleted: int = 0
    retention_erasures: int = 0
    retention_held: int = 0


class Scheduler:
    def __init__(self, context: PrivacyContext) -> None:
        self.context = context
        self._lock = asyncio.Lock()
        self.ticks = 0
        self._retention_due: datetime | None = None  # first tick applies retention
        # Database or S3 down: the loop logs it and tries again next interval.
        self._loop = Periodic(
            "privacy-scheduler", context.settings.scheduler_interval_seconds, self.tick
        )

    @property
    def running(self) -> bool:
        return self._loop.running

    @property
    def last_error(self) -> str | None:
        return self._loop.last_error

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def tick(self) -> TickReport:
        async with self._lock:
            report = TickReport()
            await self._resend_erasures(report)
            await self._expire_exports(report)
            await self._purge_deleted_accounts(report)
            await self._delete_old_bundles(report)
            await self._enforce_retention(report)
            self.ticks += 1
            return report

    async def _resend_erasures(self, report: TickReport) -> None:
        settings = self.context.settings
        now = self.context.clock.now()
        cutoff = now - timedelta(seconds=settings.erasure_resend_after_seconds)
        async with self.context.db.session() as session:
            for ack, req in await repo.lagging_erasure_acks(session, cutoff):
                if req.status == Status.FAILED:
                    continue  # marked failed earlier in this tick
                if ack.attempts >= settings.erasure_max_attempts:
                    if req.status != Status.FAILED:
                        acks = await repo.acknowledgements(session, req.id)
                        silent = sorted(a.service for a in acks if a.status != AckStatus.COMPLETED)
                        await fail_request(
                            session,
                            req,
                            f"no successful answer after {ack.attempts} attempts from: "
                            + ", ".join(silent),
                            now,
                        )
                        report.erasures_failed += 1
                    continue
                assert ack.id is not None
                attempt = ack.attempts + 1  # read before the claim refreshes ``ack``
                if not await repo.claim_resend(session, ack.id, ack.attempts, now):
                    continue
                payload = ErasureRequested(
                    request_id=req.id,
                    subject=subject_of(req).to_event(),
                    requested_by=req.requested_by,
                    attempt=attempt,
                    services=[ack.service],
                )
                await emit_event(session, payload, req.org_id, subject_of(req))
                report.resent += 1
                log.info("re-sent erasure %s to %s (attempt %d)", req.id, ack.service, attempt)

    async def _expire_exports(self, report: TickReport) -> None:
        now = self.context.clock.now()
        cutoff = now - timedelta(seconds=self.context.settings.export_timeout_seconds)
        async with self.context.db.session() as session:
            for req in await repo.overdue_exports(session, cutoff):
                acks = await repo.acknowledgements(session, req.id)
                missing = missing_services(AckState(a.service, a.status) for a in acks)
                await fail_request(
                    session, req, "export timed out; no part from: " + ", ".join(missing), now
                )
                report.exports_failed += 1

    async def _purge_deleted_accounts(self, report: TickReport) -> None:
        now = self.context.clock.now()
        async with self.context.db.session() as session:
            for deletion in await repo.accounts_due_for_purge(session, now):
                if await start_account_purge(session, self.context, deletion) is not None:
                    report.purges_started += 1

    async def _delete_old_bundles(self, report: TickReport) -> None:
        now = self.context.clock.now()
        cutoff = now - timedelta(seconds=self.context.settings.export_bundle_ttl_seconds)
        async with self.context.db.session() as session:
            for req in await repo.expired_bundles(session, cutoff):
                assert req.object_key is not None
                await self.context.objects.delete(req.object_key)
                req.object_key = None
                req.bundle_expired_at = now
                req.updated_at = now
                report.bundles_deleted += 1

    async def _enforce_retention(self, report: TickReport) -> None:
        """Once per ``retention_interval_seconds``: erase every call older than its
        organization's ``call_retention_days``, unless a subject of it is restricted."""
        now = self.context.clock.now()
        if self._retention_due is not None and now < self._retention_due:
            return
        async with self.context.db.session() as session:
            for policy in await repo.retention_policies(session):
                assert policy.call_retention_days is not None
                cutoff = retention_cutoff(now, policy.call_retention_days)
                due = await repo.calls_uploaded_before(session, policy.org_id, cutoff)
                restricted = await repo.restricted_labels(session, policy.org_id) if due else set()
                for call in due:
                    if held_by(call.subjects, restricted):
                        report.retention_held += 1
                        continue
                    started = await start_retention_erasure(
                        session, self.context, call, retention_days=policy.call_retention_days
                    )
                    if started is not None:
                        report.retention_erasures += 1
        if report.retention_held:
            log.info(
                "retention: %d call(s) past retention held by a restriction", report.retention_held
            )
        self._retention_due = now + timedelta(
            seconds=self.context.settings.retention_interval_seconds
        )
