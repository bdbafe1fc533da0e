"""Fixtures of the gateway tests: the downstream fakes and a gateway app wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI

from clashtor_common.testing.apps import migrate
from clashtor_common.testing.modules import load_module
from clashtor_common.testing.servers import serve_in_thread
from gateway import main as gateway_main
from gateway.adapters.mailer import LoggingMailer
from gateway.main import create_app
from gateway.settings import GatewaySettings

TESTS = Path(__file__).parent


def load_test_module(name: str) -> ModuleType:
    """A helper module of this directory, under a name unique to the gateway's tests."""
    return load_module(TESTS / f"{name}.py", f"gateway_tests_{name}")


fakes = load_test_module("fakes")
support = load_test_module("support")


@pytest.fixture(scope="session")
def fake_state() -> object:
    return fakes.FakeState()


@pytest.fixture(scope="session")
def forged_cursor() -> str:
    """A cursor the fake services refuse, as every service refuses one it did not make."""
    return str(fakes.FORGED_CURSOR)


@pytest.fixture(scope="session")
def stripe_signer() -> Callable[[bytes], str]:
    """Signs a webhook payload the way Stripe does, with the secret the billing fake knows."""
    sign: Callable[[bytes], str] = fakes.sign_stripe_payload
    return sign


@pytest.fixture(scope="session")
def fake_url(fake_state: object) -> Iterator[str]:
    with serve_in_thread(
        fakes.build_app(support.IDENTITY_SECRET, fake_state), name="fake services"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def settings_factory(database_url: str, fake_url: str) -> Callable[..., GatewaySettings]:
    """``settings_factory(**overrides)``: settings of a gateway wired to the fakes."""

    def make(**overrides: Any) -> GatewaySettings:
        settings: GatewaySettings = support.make_settings(database_url, fake_url, **overrides)
        return settings

    return make


@pytest.fixture(scope="module")
def gateway_settings(settings_factory: Callable[..., GatewaySettings]) -> GatewaySettings:
    """Override in a module to change settings for that module's app."""
    return settings_factory()


async def start_app(settings: object) -> FastAPI:
    """The gateway app with its schema migrated, without the broker (HTTP tests need none)."""
    app = create_app(settings, mailer=LoggingMailer())  # type: ignore[arg-type]
    await migrate(app.state.settings.database_url, gateway_main.__file__)
    return app


async def stop_app(app: FastAPI) -> None:
    await app.state.gateway.services.aclose()
    await app.state.runtime.db.dispose()


@pytest.fixture(scope="module")
async def gateway_app(gateway_settings: object) -> AsyncIterator[FastAPI]:
    app = await start_app(gateway_settings)
    yield app
    await stop_app(app)


@pytest.fixture(scope="module")
async def api(gateway_app: FastAPI) -> AsyncIterator[object]:
    helper = support.Api(gateway_app)
    yield helper
    await helper.close()


@pytest.fixture
async def make_api(
    settings_factory: Callable[..., GatewaySettings],
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await make_api(**overrides)``: another gateway (same database) with other settings."""
    made: list[Any] = []

    async def make(**overrides: Any) -> Any:
        helper = support.Api(await start_app(settings_factory(**overrides)))
        made.append(helper)
        return helper

    yield make
    for helper in made:
        await helper.close()
        await stop_app(helper.app)
