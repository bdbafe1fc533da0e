"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ingest.context import IngestContext, context_of


def ingest_context(request: Request) -> IngestContext:
    return context_of(request.app.state.runtime)


ContextDep = Annotated[IngestContext, Depends(ingest_context)]
