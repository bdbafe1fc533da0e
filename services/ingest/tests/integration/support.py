"""Running ingest for real in a test: app on a free port, its database, S3 and the broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from clashtor_common.crypto import DataKey, fingerprint
from clashtor_common.datakeys import call_key_id
from clashtor_common.events import Envelope, EventPayload, Subject, make_event
from clashtor_common.inbox import InboxRecord
from clashtor_common.keyservice import DataKeyClient
from clashtor_common.testing.apps import InternalClient, settings_for_tests
from clashtor_common.testing.events import (
    erasure_requested,
    new_org,  # noqa: F401 - used by the tests
)
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.waiting import wait_until  # noqa: F401 - used by the tests
from clashtor_common.upload_form import SOURCE_HEADER
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.context import IngestContext
from ingest.settings import IngestSettings

ingest_settings = partial(settings_for_tests, IngestSettings, "ingest")
"""``ingest_settings(kafka_bootstrap, database_url, s3_settings, **overrides)``"""


class IngestClient(InternalClient):
    """ingest's internal API with helpers for the common calls."""

    def __init__(self, base_url: str, settings: IngestSettings) -> None:
        super().__init__(base_url, settings, timeout=60)

    async def upload(
        self,
        org: str,
        data: bytes,
        *,
        filename: str = "call.bin",
        title: str | None = None,
        participants: Any = None,
        language: str | None = None,
        user: str = "user-1",
        role: str = "admin",
        source: str | None = None,
    ) -> httpx.Response:
        headers = self.headers(org, user, role)
        if source is not None:
            headers[SOURCE_HEADER] = source
        form: dict[str, str] = {}
        if title is not None:
            form["title"] = title
        if language is not None:
            form["language"] = language
        if participants is not None:
            form["participants"] = (
                participants if isinstance(participants, str) else json.dumps(participants)
            )
        return await self.http.post(
            "/internal/calls",
            files={"file": (filename, data, "application/octet-stream")},
            data=form,
            headers=headers,
        )

    async def get_call(self, org: str, call_id: str, **who: Any) -> httpx.Response:
        return await self.http.get(f"/internal/calls/{call_id}", headers=self.headers(org, **who))

    async def start_upload(
        self, org: str, audio: bytes, *, send: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """An upload of ``audio`` on a connection of its own that announces the whole form
        but sends only its first ``send`` bytes of audio: a slow client, or one about to
        hang up. The caller reads the answer or drops the connection."""
        boundary = "partialupload"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        host, port = self.base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        request = (
            "POST /internal/calls HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + len(audio) + len(boundary) + 8}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in self.headers(org).items())
            + "\r\n"
        ).encode()
        writer.write(request + head + audio[:send])
        await writer.drain()
        return reader, writer


def form_body(
    data: bytes, fields: dict[str, str] | None = None, piece: int = 64 * 1024
) -> tuple[str, AsyncIterator[bytes]]:
    """An upload form as httpx encodes it: its content type, and its bytes arriving in
    ``piece``-sized chunks (for ``accept_upload`` called directly)."""
    request = httpx.Request(
        "POST", "http://x/", data=fields or {}, files={"file": ("call.wav", data, "audio/wav")}
    )
    body = request.read()

    async def arriving() -> AsyncIterator[bytes]:
        for start in range(0, len(body), piece):
            yield body[start : start + piece]

    return request.headers["content-type"], arriving()


def fp(settings: IngestSettings, email: str) -> str:
    return fingerprint(settings.fingerprint_secret.get_secret_value(), email)


async def org_rows(ctx: IngestContext, org: str) -> tuple[int, int]:
    """(calls, participants) stored for ``org``."""
    async with ctx.db.session() as session:
        calls = await session.execute(
            select(func.count()).select_from(CallRecord).where(CallRecord.org_id == org)
        )
        people = await session.execute(
            select(func.count())
            .select_from(ParticipantRecord)
            .where(ParticipantRecord.org_id == org)
        )
        return int(calls.scalar_one()), int(people.scalar_one())


async def org_objects(ctx: IngestContext, org: str) -> list[str]:
    await ctx.objects.store.ensure_bucket()
    return await ctx.objects.store.list_keys(f"orgs/{org}/")


async def pending_multipart_uploads(ctx: IngestContext) -> list[str]:
    await ctx.objects.store.ensure_bucket()
    return [u.key for u in await ctx.objects.store.pending_uploads()]


async def handled(ctx: IngestContext, consumer: str, event_id: uuid.UUID) -> bool:
    async with ctx.db.session() as session:
        found = await session.execute(
            select(InboxRecord.event_id).where(
                InboxRecord.consumer == consumer, InboxRecord.event_id == event_id
            )
        )
        return found.first() is not None


class Publisher:
    """Publishes events to the real broker as another service would."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, envelope: Envelope) -> Envelope:
        await self.producer.send_and_wait(
            envelope.type, envelope.to_bytes(), key=envelope.key.encode()
        )
        return envelope

    async def publish(
        self, payload: EventPayload, *, org: str, key: str | None = None, source: str = "test"
    ) -> Envelope:
        return await self.send(make_event(payload, source=source, org_id=org, key=key or org))


async def read_topic(
    bootstrap: str,
    topic: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    at_least: int = 1,
    timeout: float = 30.0,
) -> list[tuple[bytes, dict[str, Any]]]:
    """Messages on ``topic`` (from the start) matching ``match``, each as its bytes and
    its JSON; waits for ``at_least`` (at most ``timeout``), then reads until it is quiet."""
    reader = await TopicReader(bootstrap, topic).start()

    def found() -> list[tuple[bytes, dict[str, Any]]]:
        return [(raw, envelope) for raw in reader.raw if match(envelope := json.loads(raw))]

    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found()) < at_least and asyncio.get_running_loop().time() < deadline:
            await reader.poll()
        await reader.drain()
        return found()
    finally:
        await reader.stop()


async def outbox_size(ctx: IngestContext, org: str) -> int:
    """How many events ingest emitted about ``org``: the service also answers events of
    other tests on the shared broker (erasure requests), so only the org's are counted."""
    from clashtor_common.outbox import OutboxRecord

    async with ctx.db.session() as session:
        payloads = (await session.execute(select(OutboxRecord.payload))).scalars()
        return sum(org.encode() in payload for payload in payloads)


async def stored_call(ctx: IngestContext, org: str, call_id: str) -> CallRecord | None:
    async with ctx.db.session() as session:
        found = await session.execute(
            select(CallRecord).where(CallRecord.org_id == org, CallRecord.id == call_id)
        )
        return found.scalars().first()


async def call_keys(ctx: IngestContext, call_id: str) -> dict[str, DataKey]:
    """The call's data key as ingest's key table holds it ({} once destroyed)."""
    async with ctx.db.session() as session:
        return await ctx.keys.load(session, [call_key_id(call_id)])


async def erase_and_wait(
    publisher: Publisher, kafka_bootstrap: str, org: str, subject: Subject, **extra: Any
) -> dict[str, Any]:
    request = erasure_requested(subject, **extra)
    await publisher.publish(request, org=org, source="privacy")
    done = await read_topic(
        kafka_bootstrap,
        "erasure-completed",
        lambda e: e["data"]["request_id"] == request.request_id,
    )
    return done[0][1]["data"]


def audio_keys(client: IngestClient, ctx: IngestContext) -> DataKeyClient:
    """What transcribe uses to ask this ingest for a call's audio key."""
    return DataKeyClient(
        client.base_url,
        identity_secret=client.settings.identity_secret.get_secret_value(),
        keyring=ctx.keyring,
        service="transcribe",
    )
