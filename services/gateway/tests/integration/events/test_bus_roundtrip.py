"""On the real broker (Tansu): an erasure request published to ``erasure-requested``
erases the user and the gateway's acknowledgement arrives on ``erasure-completed``."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from clashtor_common.events import Topic, make_event
from clashtor_common.testing.apps import serve
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.kafka import TopicReader, publish
from gateway.main import create_app
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


async def _acknowledgement(bootstrap: str, request_id: str, timeout: float = 60) -> dict:
    reader = await TopicReader(bootstrap, Topic.ERASURE_COMPLETED.value).start()
    try:
        return (await reader.wait_for_data(timeout=timeout, request_id=request_id)).data
    finally:
        await reader.stop()


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
        await publish(kafka_bootstrap, event)

        ack = await _acknowledgement(kafka_bootstrap, request.request_id)
        assert ack["service"] == "gateway" and ack["status"] == "completed"
        assert ack["removed"]["users"] == 1
        assert (await client.get("/v1/me")).status_code == 401
