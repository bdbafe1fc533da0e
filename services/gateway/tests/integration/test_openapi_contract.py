"""The gateway against its own OpenAPI document, in process, with schemathesis.

Every operation is called with generated data (valid and invalid) as a signed-in owner
(an API key), with the downstream fakes answering: no 5xx, every status and body as
documented, invalid input refused with a 4xx.

How it is wired, and why:

- the schema is the app's own ``openapi()`` document, loaded at import time because
  ``@schema.parametrize()`` needs it then, and bound to ``UNDER_TEST``, an ASGI app
  that forwards to the gateway the fixture builds; schemathesis calls it in process
  through its ASGI transport, as with ``from_asgi``. (``from_fixture`` fails on
  pytest 9: it reads ``Function._nodeid``, which pytest 9 removed; and ``from_asgi``
  at import time would start an app whose database and fakes do not exist yet.)
- schemathesis starts and stops an app's lifespan around every test; the gateway's
  lifespan connects to Kafka, which has nothing to do with its HTTP contract, so
  ``UNDER_TEST`` answers the lifespan itself and the fixture creates the tables.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from clashtor_common.testing.apps import migrate
from gateway import main as gateway_main
from gateway.adapters.mailer import LoggingMailer
from gateway.main import create_app
from gateway.settings import GatewaySettings

PASSWORD = "correct horse battery staple"
CLOSE_PATH = "/__contract_test_close__"


class GatewayUnderTest:
    """The ASGI app schemathesis calls: the lifespan is answered here, HTTP goes to the
    gateway under test, and ``CLOSE_PATH`` releases its connections in the event loop
    that opened them (schemathesis' own)."""

    target: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.target is not None, "the contract_gateway fixture sets the target"
        if scope["path"] == CLOSE_PATH:
            await self.target.state.gateway.services.aclose()
            await self.target.state.runtime.db.dispose()
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.target(scope, receive, send)


SPEC_APP = create_app(
    GatewaySettings(environment="test", database_url="sqlite+aiosqlite:///:memory:")
)
UNDER_TEST = GatewayUnderTest()
schema = schemathesis.openapi.from_dict(SPEC_APP.openapi())
schema.app = UNDER_TEST


async def _create_tables(url: str) -> None:
    await migrate(url, gateway_main.__file__)


@pytest.fixture(scope="module")
def contract_gateway(
    settings_factory: Callable[..., GatewaySettings],
) -> Iterator[tuple[asgi.ASGIClient, str]]:
    """The gateway wired to the fakes, and the API key of a signed-up owner."""
    settings = settings_factory()
    asyncio.run(_create_tables(settings.database_url))
    UNDER_TEST.target = create_app(settings, mailer=LoggingMailer())
    client = asgi.get_client(UNDER_TEST)
    signup = client.post(
        "/v1/auth/signup",
        json={
            "name": "Schema Owner",
            "email": f"schema-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "organization": "Schema Co",
        },
    )
    assert signup.status_code == 201, signup.text
    created = client.post(
        "/v1/api-keys",
        json={"name": "schemathesis"},
        headers={"X-CSRF-Token": signup.json()["csrf_token"]},
    )
    assert created.status_code == 201, created.text
    try:
        yield client, created.json()["key"]
    finally:
        client.post(CLOSE_PATH)
        UNDER_TEST.target = None


def test_the_served_document_is_the_one_tested(
    contract_gateway: tuple[asgi.ASGIClient, str],
) -> None:
    client, _ = contract_gateway
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == SPEC_APP.openapi()
    assert client.get("/docs").status_code == 200


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_api_conforms_to_its_openapi(
    case: Any, contract_gateway: tuple[asgi.ASGIClient, str]
) -> None:
    _, key = contract_gateway
    excluded = []
    if case.path == "/webhooks/stripe":
        # Only Stripe can sign a webhook; a well-formed unsigned one is rightly refused (400).
        excluded.append(positive_data_acceptance)
    if (case.method, case.path) == ("POST", "/v1/calls"):
        # Every multipart field is text: a "title" generated as JSON null arrives as the
        # title "null", which is a valid title. The upload limits are checked one by one
        # in test_calls.py (test_uploads_past_the_documented_limits_are_refused_by_ingest).
        excluded.append(negative_data_rejection)
    if case.query and case.query.get("cursor") is not None:
        # A cursor is opaque: only one this API made is valid, whatever its schema says
        # (a generated one is rightly a 422; test_pagination.py covers both).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, excluded_checks=excluded)
