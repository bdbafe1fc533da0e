"""FastAPI dependencies every service's internal API declares alike: its typed context
(what ``bootstrap`` hung on the app's runtime) and a database session from it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol, TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import Database
from clashtor_common.service import ServiceRuntime

C = TypeVar("C")


class HasDatabase(Protocol):
    db: Database


def context_dependency(context_of: Callable[[ServiceRuntime], C]) -> Callable[[Request], C]:
    """The dependency handing a route the service's context:
    ``ContextDep = Annotated[XContext, Depends(context_dependency(context_of))]``."""

    def service_context(request: Request) -> C:
        return context_of(request.app.state.runtime)

    return service_context


def session_dependency(
    context: Callable[[Request], HasDatabase],
) -> Callable[[Request], AsyncIterator[AsyncSession]]:
    """The dependency handing a route a session of the service's database (``context``:
    the service's ``context_dependency``). Declare it with ``scope="function"``:
    ``Depends(session_dependency(ctx), scope="function")`` commits when the route returns,
    before the answer is sent; FastAPI's default scope commits after it, so a client could
    read the old state right after a 2xx, and a commit the database refuses would already
    have been answered as a success."""

    async def session(request: Request) -> AsyncIterator[AsyncSession]:
        async with context(request).db.session() as opened:
            yield opened

    return session
