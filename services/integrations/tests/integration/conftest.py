"""One integrations app per test module on the real broker, S3 and database.

Webhooks may reach 127.0.0.1 here only because the allow-list names it; a scripted
resolver stands in for DNS for the ``*.example`` hosts (rebinding tests), and the
system resolver answers everything else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from clashtor_common.crypto import Keyring
from clashtor_common.embedded import free_port
from clashtor_common.events import Envelope, EventPayload, Topic, make_event
from clashtor_common.testing.apps import identity_headers, serve
from clashtor_common.testing.kafka import start_group_at_end, topic_reader_fixture
from clashtor_common.testing.servers import Answer, PostServer, running
from clashtor_common.upload_form import SOURCE_HEADER
from integrations.adapters.resolver import system_resolver
from integrations.context import IntegrationsContext, context_of
from integrations.domain.targets import IPAddress
from integrations.entrypoints.stream import CONSUMES
from integrations.main import create_app
from integrations.settings import IntegrationsSettings

from .receiver import Receiver
from .slack_stub import SlackStub
from .zoom_stub import ZoomStub


class ScriptedDns:
    """Answers for named hosts in turn (the last answer repeats): a rebinding DNS."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: dict[str, int] = {}

    def script(self, host: str, *answers: list[str]) -> None:
        self.answers[host] = list(answers)
        self.asked[host] = 0

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        if host not in self.answers:
            return await system_resolver(host, port)
        turn = min(self.asked[host], len(self.answers[host]) - 1)
        self.asked[host] += 1
        return [ipaddress.ip_address(a) for a in self.answers[host][turn]]


@pytest.fixture(scope="module")
def dns() -> ScriptedDns:
    return ScriptedDns()


@pytest.fixture(scope="module")
def slack_stub() -> Iterator[SlackStub]:
    with running(SlackStub()) as stub:
        yield stub


class IngestStandIn:
    """Ingest's internal upload route as integrations sees it: every upload kept (its
    raw multipart body), answered with a new call id. The whole path into a real ingest
    and on to a scored call is ``tests/e2e/test_zoom_import.py``."""

    def __init__(self) -> None:
        self.uploads: list[bytes] = []
        self.arrived = 0
        """Uploads received, answered or not."""
        self.hold: threading.Event | None = None
        """Set: an upload is answered only once this event is."""
        self.refuse: tuple[int, str] | None = None
        """Set: uploads are answered with this status and error code (ingest's form)."""
        self.lose_answers = False
        """Set: a new call is made, then the connection closed unanswered (the answer
        lost, as to a timeout or a crash while ingest committed)."""
        self.calls_by_source: dict[str, str] = {}
        self.erased_sources: set[str] = set()
        """Sources whose call was erased: ingest refuses them (410 source_erased)."""
        self._server = PostServer(self._upload)
        self.base_url = f"http://127.0.0.1:{self._server.start()}"

    def erase_call(self, call_id: str) -> None:
        """What ingest keeps of an erased call: its source, refused from then on."""
        for source, made in list(self.calls_by_source.items()):
            if made == call_id:
                del self.calls_by_source[source]
                self.erased_sources.add(source)

    def _upload(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if path != "/internal/calls":
            return 404, {}, b""
        self.arrived += 1
        if self.hold is not None:
            self.hold.wait(timeout=60)
        self.uploads.append(body)
        if self.refuse is not None:
            status, code = self.refuse
            error = {"error": {"code": code, "message": f"refused: {code}"}}
            return status, {"content-type": "application/json"}, json.dumps(error).encode()
        source = headers.get(SOURCE_HEADER.lower(), "")
        if source in self.erased_sources:
            error = {"error": {"code": "source_erased", "message": "its call was erased"}}
            return 410, {"content-type": "application/json"}, json.dumps(error).encode()
        if source in self.calls_by_source:
            answer = {"id": self.calls_by_source[source], "status": "uploaded"}
            return 200, {"content-type": "application/json"}, json.dumps(answer).encode()
        answer = {"id": f"call-{uuid.uuid4().hex[:12]}", "status": "uploaded"}
        if source:
            self.calls_by_source[source] = answer["id"]
        if self.lose_answers:
            raise ConnectionResetError("the answer is lost")
        return 202, {"content-type": "application/json"}, json.dumps(answer).encode()

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="module")
def ingest() -> Iterator[IngestStandIn]:
    stand_in = IngestStandIn()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def zoom_stub() -> Iterator[ZoomStub]:
    with running(ZoomStub()) as stub:
        yield stub


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A customer's webhook endpoint (on a port of its own, kept across restarts)."""
    with running(Receiver(free_port())) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str,
    database_url: str,
    s3_settings: dict[str, Any],
    slack_stub: SlackStub,
    zoom_stub: ZoomStub,
    ingest: IngestStandIn,
) -> IntegrationsSettings:
    tag = uuid.uuid4().hex[:8]
    return IntegrationsSettings(
        service_name=f"integrations-{tag}",
        environment="test",
        kafka_bootstrap=kafka_bootstrap,
        database_url=database_url,
        s3_bucket=f"integrations-test-{tag}",
        master_keys=f"test1:{Keyring.generate_key()}",
        consumer_backoff_seconds=0.05,
        relay_poll_seconds=0.1,
        log_json=False,
        webhook_allowed_networks=["127.0.0.1/32"],
        webhook_poll_seconds=0.1,
        webhook_retry_initial_seconds=0.3,
        webhook_retry_max_interval_seconds=1.0,
        webhook_timeout_seconds=2.0,
        slack_base_url=slack_stub.base_url,
        zoom_client_id=zoom_stub.client_id,
        zoom_client_secret=zoom_stub.client_secret,
        zoom_webhook_secret_token=zoom_stub.secret_token,
        zoom_oauth_base_url=zoom_stub.base_url,
        zoom_api_base_url=zoom_stub.api_base_url,
        zoom_download_hosts=["127.0.0.1"],
        zoom_import_poll_seconds=0,  # tests run the importer themselves
        ingest_url=ingest.base_url,
        **s3_settings,
    )


@pytest.fixture(scope="module")
async def app_runtime(
    settings: IntegrationsSettings, kafka_bootstrap: str, dns: ScriptedDns
) -> AsyncIterator[tuple[str, Any]]:
    await start_group_at_end(kafka_bootstrap, settings.consumer_group, CONSUMES)
    app = create_app(settings, resolver=dns)
    async with serve(app) as base_url:
        yield base_url, app.state.runtime


@pytest.fixture(scope="module")
def ctx(app_runtime: tuple[str, Any]) -> IntegrationsContext:
    return context_of(app_runtime[1])


class Api:
    """The internal API as the gateway calls it, with a signed identity per call."""

    def __init__(self, base_url: str, secret: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self.secret = secret

    async def call(
        self, method: str, path: str, org: str, role: str = "admin", **kwargs: Any
    ) -> httpx.Response:
        headers = identity_headers(self.secret, org, user_id="user-1", role=role)
        return await self.http.request(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
async def api(app_runtime: tuple[str, Any], settings: IntegrationsSettings) -> AsyncIterator[Api]:
    client = Api(app_runtime[0], settings.identity_secret.get_secret_value())
    yield client
    await client.http.aclose()


class Publisher:
    """Stands in for the services whose events integrations consumes."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)

    async def send(self, envelope: Envelope) -> Envelope:
        await self.producer.send_and_wait(
            envelope.type, envelope.to_bytes(), key=envelope.key.encode()
        )
        return envelope

    async def publish(self, payload: EventPayload, *, org: str, key: str) -> Envelope:
        return await self.send(make_event(payload, source="test", org_id=org, key=key))


@pytest.fixture(scope="module")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    p = Publisher(kafka_bootstrap)
    await p.producer.start()
    yield p
    await p.producer.stop()


erasures = topic_reader_fixture(Topic.ERASURE_COMPLETED.value)


exports = topic_reader_fixture(Topic.EXPORT_PART_READY.value)


async def lock_waiters(
    ctx: IntegrationsContext, erasure: asyncio.Task[object], table: str = "zoom_imports"
) -> bool:
    """Whether another transaction waits for a row lock on ``table`` (the erasure,
    blocked), or the erasure is over already."""
    if erasure.done():
        return True
    async with ctx.db.session() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database() "
                "AND query ILIKE :table"
            ),
            {"table": f"%{table}%"},
        )
    return bool(waiting)
