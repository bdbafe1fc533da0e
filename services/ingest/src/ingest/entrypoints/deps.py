"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from clashtor_common.deps import context_dependency
from ingest.context import IngestContext, context_of

ingest_context = context_dependency(context_of)
ContextDep = Annotated[IngestContext, Depends(ingest_context)]
