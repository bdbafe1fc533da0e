"""/readyz tells a waiting consumer (degraded) and a halted service (not ready) apart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from clashtor_common.broker_watch import LogWatch
from clashtor_common.bus import subscribe
from clashtor_common.service import ServiceRuntime, create_service_app
from clashtor_common.settings import ServiceSettings


async def _noop(*_: object) -> None:
    return None


async def _readyz(runtime: ServiceRuntime) -> httpx.Response:
    app = create_service_app(runtime, title="t")  # no lifespan: nothing connects
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/readyz")


def _runtime(tmp_path: Path) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="probe",
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}",
    )
    runtime = ServiceRuntime.build(settings)
    runtime.consumers.append(
        subscribe(runtime.broker, "call-uploaded", settings=settings, db=runtime.db, handler=_noop)
    )
    return runtime


async def test_a_consumer_waiting_out_a_transient_failure_shows_as_degraded(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    runtime.broker_connected = True
    runtime.broker.ping = _ping_ok  # type: ignore[method-assign]
    consumer = runtime.consumers[0]
    consumer.stats.waiting_since = time.monotonic() - 12
    consumer.stats.last_error = "EndpointConnectionError: Could not connect to the endpoint URL"

    resp = await _readyz(runtime)

    assert resp.status_code == 200, "it still serves; it only cannot progress"
    body = resp.json()
    assert body["status"] == "degraded"
    assert "EndpointConnectionError" in body["degraded"]["call-uploaded"]
    await runtime.db.dispose()


async def test_a_service_whose_broker_lost_its_log_is_not_ready_and_says_why(
    tmp_path: Path,
) -> None:
    runtime = _runtime(tmp_path)
    runtime.broker_connected = True
    runtime.broker.ping = _ping_ok  # type: ignore[method-assign]
    runtime.watch = LogWatch(runtime.broker, {}, service="probe")
    runtime.watch.halted = "topics call-uploaded are gone: the broker lost its log"

    resp = await _readyz(runtime)

    assert resp.status_code == 503
    body = resp.json()
    assert body["checks"]["log"] is False
    assert body["halted"] == runtime.watch.halted
    await runtime.db.dispose()


async def _ping_ok(timeout: float | None = None) -> bool:
    return True
