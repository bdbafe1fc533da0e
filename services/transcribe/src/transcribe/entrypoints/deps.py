"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.deps import context_dependency, session_dependency
from transcribe.context import TranscribeContext, context_of

transcribe_context = context_dependency(context_of)
ContextDep = Annotated[TranscribeContext, Depends(transcribe_context)]


SessionDep = Annotated[
    AsyncSession, Depends(session_dependency(transcribe_context), scope="function")
]
