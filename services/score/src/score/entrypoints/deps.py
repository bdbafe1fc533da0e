"""FastAPI dependencies of the internal API, and the one transaction helper routes use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.deps import context_dependency
from clashtor_common.domain_errors import Conflict
from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity
from score.adapters.repository import ScoreRepository
from score.context import ScoreContext, context_of
from score.domain.access import can_manage_coaching

score_context = context_dependency(context_of)
ContextDep = Annotated[ScoreContext, Depends(score_context)]


@asynccontextmanager
async def transaction(ctx: ScoreContext) -> AsyncIterator[AsyncSession]:
    """A unit of work; a concurrent write that breaks a uniqueness rule answers 409."""
    try:
        async with ctx.db.session() as session:
            yield session
    except IntegrityError as exc:
        raise Conflict("a concurrent change conflicted with this one; try again") from exc


def require_coaching_manager(identity: Identity) -> None:
    if not can_manage_coaching(identity):
        raise ApiError(
            403,
            "forbidden",
            f"role {identity.role!r} cannot change trackers or scorecards "
            "(owner, admin or manager can)",
        )


@asynccontextmanager
async def coaching_edit(ctx: ScoreContext, identity: Identity) -> AsyncIterator[ScoreRepository]:
    """A unit of work changing the organization's trackers or scorecards (managers and up)."""
    require_coaching_manager(identity)
    async with transaction(ctx) as session:
        yield ScoreRepository(session, identity.org_id)
