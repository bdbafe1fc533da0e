"""A service's workers start with its app and stop in reverse, before the closing hooks."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from clashtor_common import service_main
from clashtor_common.service import ServiceRuntime
from clashtor_common.service_main import lazy_app
from clashtor_common.settings import ServiceSettings


class Recorder:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def _runtime(tmp_path: Path) -> ServiceRuntime:
    return ServiceRuntime.build(
        ServiceSettings(
            service_name="probe",
            environment="test",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}",
        )
    )


async def test_workers_start_in_order_and_stop_in_reverse_before_the_closing_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []
    passed: dict[str, Any] = {}

    real = service_main.create_service_app

    def create_service_app(runtime: ServiceRuntime, **kwargs: Any) -> FastAPI:
        passed.update(kwargs)
        return real(runtime, **kwargs)

    monkeypatch.setattr(service_main, "create_service_app", create_service_app)

    async def close_clients() -> None:
        log.append("close clients")

    runtime = _runtime(tmp_path)
    app = service_main.service_app(
        __file__,
        runtime,
        routers=[],
        tables=[],
        workers=[Recorder("sweeper", log), Recorder("reporter", log)],
        on_shutdown=[close_clients],
    )
    for hook in [*passed["on_startup"], *passed["on_shutdown"]]:
        await hook()

    assert log == [
        "start sweeper",
        "start reporter",
        "stop reporter",
        "stop sweeper",
        "close clients",
    ]
    assert app.title == "Clashtor probe"
    await runtime.db.dispose()


def test_the_app_is_built_on_first_access_only() -> None:
    built: list[int] = []

    def create_app() -> object:
        built.append(1)
        return "the app"

    module = types.ModuleType("probe_main")
    module.__getattr__ = lazy_app(create_app)  # type: ignore[method-assign,assignment]
    assert built == [], "importing main wires nothing"
    assert module.app == "the app"
    assert module.app == "the app"
    assert built == [1], "a second access returns the same app, not a second one"
    with pytest.raises(AttributeError):
        _ = module.not_there
