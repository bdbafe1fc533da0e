"""A throwaway service for exercising the bus: it records one row per handled event."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, func, select

from clashtor_common.bus import make_broker, start_broker, subscribe
from clashtor_common.db import Database
from clashtor_common.events import CallFailed, Envelope, make_event
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord, OutboxRelay
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.kafka import FAST_GROUP_JOIN
from clashtor_common.testing.waiting import wait_until


class Effect(SQLModel, table=True):
    __tablename__ = "test_effect"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str
    note: str = ""


def settings_for(name: str, bootstrap: str, database_url: str, **extra: Any) -> ServiceSettings:
    return ServiceSettings(
        service_name=name,
        environment="test",
        kafka_bootstrap=bootstrap,
        database_url=database_url,
        consumer_backoff_seconds=0.05,
        relay_poll_seconds=0.1,
        **{**FAST_GROUP_JOIN, **extra},
    )


def sample_event(org: str = "org-1", call: str | None = None) -> Envelope:
    call = call or str(uuid.uuid4())
    payload = CallFailed(call_id=call, stage="transcribe", code="test", reason="test")
    return make_event(payload, source="test", org_id=org, key=call)


async def count_effects(db: Database, event_id: str | None = None) -> int:
    async with db.session() as s:
        q = select(func.count()).select_from(Effect)
        if event_id:
            q = q.where(Effect.event_id == event_id)
        return (await s.execute(q)).scalar_one()


class Harness:
    """A producer database with a relay, and a consumer service with one handler."""

    def __init__(self, settings: ServiceSettings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self.db = Database(settings.database_url)
        self.broker = make_broker(settings)
        self.relay = OutboxRelay(self.db, settings.kafka_client_kwargs(), poll_seconds=0.1)
        self.fail_times = 0
        self.failure: BaseException = RuntimeError("transient fault")
        self.calls = 0
        self.fail_ids: set[str] = set()
        self.always_fail = False
        self.block: asyncio.Event | None = None
        self.consumer = subscribe(
            self.broker, topic, settings=settings, db=self.db, handler=self.handle
        )

    async def handle(self, event: Envelope, session: AsyncSession) -> None:
        self.calls += 1
        if self.block is not None:
            await self.block.wait()
        if self.always_fail:
            raise RuntimeError("downstream fault")
        if str(event.id) in self.fail_ids:
            raise self.failure
        if self.fail_times > 0:
            self.fail_times -= 1
            raise self.failure
        session.add(Effect(event_id=str(event.id), note=event.type))

    async def start(self) -> None:
        await self.db.create_all(OutboxRecord, InboxRecord, Effect)
        await start_broker(self.broker)
        await self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
        await self.broker.stop()
        await self.db.dispose()


async def started_harness(
    prefix: str, bootstrap: str, database_url: str, partitions: int = 1, **extra: Any
) -> Harness:
    """A harness on a topic of its own, its consumer group joined (first event handled)."""
    from clashtor_common.embedded import ensure_topics
    from clashtor_common.outbox import emit

    topic = f"test-{prefix}-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, (topic,), partitions=partitions)
    h = Harness(
        settings_for(f"{prefix}-{uuid.uuid4().hex[:6]}", bootstrap, database_url, **extra), topic
    )
    await h.start()
    # Wait for the consumer group to join so tests do not race the first assignment.
    probe = sample_event()
    async with h.db.session() as s:
        await emit(s, probe, topic=topic)
    await wait_until(lambda: count_effects(h.db, str(probe.id)), timeout=60)
    return h
