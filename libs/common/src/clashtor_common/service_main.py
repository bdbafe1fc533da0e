"""What every service's ``main.py`` calls: its app from its parts, and ``app`` built lazily.

A service's ``main`` only names what is its own (routers, tables, the background
workers it runs); the migrations directory, the title and the start/stop order are
the same rule everywhere and live here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from sqlmodel import SQLModel

from clashtor_common.migrate import find_migrations
from clashtor_common.service import Hook, ServiceRuntime, create_service_app


class Worker(Protocol):
    """A background part that runs as long as the app does (a ``Periodic``, a scheduler)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def service_app(
    main_file: str,
    runtime: ServiceRuntime,
    *,
    routers: Sequence[APIRouter],
    tables: Sequence[type[SQLModel]],
    workers: Sequence[Worker] = (),
    on_shutdown: Sequence[Hook] = (),
    title: str | None = None,
    **options: Any,
) -> FastAPI:
    """The service's app, migrating with the Alembic directory beside ``main_file``.

    ``workers`` start in order once the database is migrated and stop in reverse order
    at shutdown, before the ``on_shutdown`` hooks (which close clients the workers may
    still use). The title is "Clashtor <service>" unless given; ``options`` go to
    ``create_service_app`` as they are.
    """
    return create_service_app(
        runtime,
        title=title or f"Clashtor {runtime.settings.service_name}",
        routers=routers,
        tables=tables,
        migrations=find_migrations(main_file),
        on_startup=[worker.start for worker in workers],
        on_shutdown=[*(worker.stop for worker in reversed(workers)), *on_shutdown],
        **options,
    )


def lazy_app(create_app: Callable[[], FastAPI]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that builds ``app`` on first access.

    ``uvicorn <service>.main:app`` finds it, while importing ``main`` (tests, the
    OpenAPI export) wires nothing.
    """

    built: list[FastAPI] = []

    def module_getattr(name: str) -> Any:
        if name == "app":
            if not built:  # a module's __getattr__ runs on every access: build once
                built.append(create_app())
            return built[0]
        raise AttributeError(name)

    return module_getattr
