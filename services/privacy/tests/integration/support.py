"""Helpers of the privacy integration tests: the app on the real parts, simulated services.

The simulated services speak only through the broker and S3, the way ingest,
transcribe, score, billing and gateway will: they read ``erasure-requested`` /
``export-requested`` off the topic and answer with ``erasure-completed`` /
``export-part-ready`` produced by a plain aiokafka producer.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from clashtor_common.crypto import Keyring
from clashtor_common.events import (
    Envelope,
    ErasureCompleted,
    ExportPartReady,
    KeptRecord,
    ObjectRef,
    Topic,
    make_event,
)
from clashtor_common.s3 import S3Store
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.apps import identity_headers, serve, settings_for_tests
from privacy.context import context_of
from privacy.domain.clock import ManualClock
from privacy.main import create_app
from privacy.service_layer.scheduler import Scheduler
from privacy.settings import PrivacySettings

SERVICES = ["ingest", "transcribe", "score", "billing", "integrations", "gateway"]
MASTER_KEYS = f"t1:{Keyring.generate_key()}"


@dataclass
class PrivacyUnderTest:
    base: str
    app: FastAPI
    settings: PrivacySettings
    clock: ManualClock
    client: httpx.AsyncClient

    @property
    def scheduler(self) -> Scheduler:
        scheduler: Scheduler = self.app.state.scheduler
        return scheduler

    @property
    def keyring(self) -> Keyring:
        return Keyring.from_config(self.settings.master_keys.get_secret_value())

    async def read(self, ref: dict[str, str]) -> bytes:
        """The object an event names, read with privacy's own S3 client."""
        store: S3Store = context_of(self.app.state.runtime).objects.store
        return await store.read(ObjectRef(**ref))

    def headers(self, org: str, user: str = "admin-1", role: str = "admin") -> dict[str, str]:
        return identity_headers(self.settings.identity_secret.get_secret_value(), org, user, role)

    def consumer_stats(self, topic: str) -> Any:
        for consumer in self.app.state.runtime.consumers:
            if consumer.topic == topic:
                return consumer.stats
        raise KeyError(topic)

    async def get_request(self, org: str, request_id: str, **who: str) -> dict[str, Any]:
        resp = await self.client.get(
            f"/internal/requests/{request_id}", headers=self.headers(org, **who)
        )
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data


@asynccontextmanager
async def running_privacy(
    *, kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any], **overrides: Any
) -> AsyncIterator[PrivacyUnderTest]:
    settings = settings_for_tests(
        PrivacySettings,
        "privacy",
        kafka_bootstrap,
        database_url,
        s3_settings,
        master_keys=MASTER_KEYS,
        s3_bucket="privacy-tests",
        scheduler_interval_seconds=3600,  # tests drive the scheduler with tick()
        **overrides,
    )
    clock = ManualClock(datetime(2030, 1, 1, 9, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield PrivacyUnderTest(base, app, settings, clock, client)


def for_request(request_id: str) -> Callable[[Envelope], bool]:
    return lambda event: event.data.get("request_id") == request_id


class SimulatedServices:
    """Answers privacy's requests as the other services will, over the real broker."""

    def __init__(self, bootstrap: str, s3_settings: dict[str, Any]) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        self.keyring = Keyring.from_config(MASTER_KEYS)
        self.store = S3Store(ServiceSettings(**s3_settings), bucket="simulated-services")

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, topic: str, envelope: Envelope) -> None:
        await self.producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key.encode())

    async def erasure_completed(
        self,
        org: str,
        request_id: str,
        service: str,
        *,
        removed: dict[str, int] | None = None,
        kept: list[KeptRecord] | None = None,
        status: str = "completed",
    ) -> Envelope:
        payload = ErasureCompleted(
            request_id=request_id,
            service=service,
            status=status,  # type: ignore[arg-type]
            removed=removed if removed is not None else {"rows": 1},
            kept=kept or [],
        )
        envelope = make_event(payload, source=service, org_id=org)
        await self.send(Topic.ERASURE_COMPLETED.value, envelope)
        return envelope

    async def upload_part(self, document: dict[str, Any]) -> ObjectRef:
        """Encrypt a part document the agreed way; the reference ``export-part-ready`` names."""
        key = f"parts/{uuid.uuid4()}.bin"
        await self.store.put_bytes(key, self.keyring.encrypt(json.dumps(document).encode()))
        return self.store.ref(key)

    async def export_part(
        self,
        org: str,
        request_id: str,
        service: str,
        subject: dict[str, Any],
        items: list[dict[str, Any]],
        files: dict[str, bytes] | None = None,
    ) -> Envelope:
        ref: ObjectRef | None = None
        if items or files:
            document: dict[str, Any] = {
                "service": service,
                "request_id": request_id,
                "subject": subject,
                "items": items,
            }
            if files:
                document["files"] = {n: base64.b64encode(b).decode() for n, b in files.items()}
            ref = await self.upload_part(document)
        payload = ExportPartReady(
            request_id=request_id, service=service, part=ref, items=len(items)
        )
        envelope = make_event(payload, source=service, org_id=org)
        await self.send(Topic.EXPORT_PART_READY.value, envelope)
        return envelope
