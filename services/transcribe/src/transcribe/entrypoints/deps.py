"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from transcribe.context import TranscribeContext, context_of


def transcribe_context(request: Request) -> TranscribeContext:
    return context_of(request.app.state.runtime)


ContextDep = Annotated[TranscribeContext, Depends(transcribe_context)]


async def session(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    async with ctx.db.session() as s:
        yield s


SessionDep = Annotated[AsyncSession, Depends(session)]
