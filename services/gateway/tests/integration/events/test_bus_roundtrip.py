"""On the real broker (Tansu): an erasure request published to ``erasure-requested``
erases the user and the gateway's acknowledgement arrives on ``erasure-completed``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from clashtor_common.events import Topic, make_event, parse_envelope
from clashtor_common.testing.apps import serve
from clashtor_common.testing.events import erasure_requested
from gateway.main import create_app
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


async def _acknowledgement(bootstrap: str, request_id: str, timeout: float = 60) -> dict:
    consumer = AIOKafkaConsumer(
        Topic.ERASURE_COMPLETED.value,
        bootstrap_servers=bootstrap,
        group_id=f"gateway-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = parse_envelope(record.value)
                    if event.data.get("request_id") == request_id:
                        return event.data
        raise AssertionError("no erasure-completed from the gateway in time")
    finally:
        await consumer.stop()


async def test_erasure_round_trip_on_the_broker(
    settings_factory: Callable[..., GatewaySettings], kafka_bootstrap: str
) -> None:
    settings = settings_factory(
        kafka_bootstrap=kafka_bootstrap,
        service_name=f"gateway-bus-{uuid.uuid4().hex[:6]}",
        relay_poll_seconds=0.1,
        consumer_backoff_seconds=0.05,
    )
    async with serve(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        signup = await client.post(
            "/v1/auth/signup",
            json={
                "name": "Bus Owner",
                "email": f"bus-{uuid.uuid4().hex[:8]}@example.com",
                "password": PASSWORD,
                "organization": "Bus Co",
            },
        )
        assert signup.status_code == 201
        user = signup.json()["user"]
        request = erasure_requested("user", user["id"])
        event = make_event(request, source="privacy", org_id=user["organization"]["id"])
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                Topic.ERASURE_REQUESTED.value, event.to_bytes(), key=event.key.encode()
            )
        finally:
            await producer.stop()

        ack = await _acknowledgement(kafka_bootstrap, request.request_id)
        assert ack["service"] == "gateway" and ack["status"] == "completed"
        assert ack["removed"]["users"] == 1
        assert (await client.get("/v1/me")).status_code == 401
