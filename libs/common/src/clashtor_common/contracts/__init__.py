"""Wire formats of internal APIs that the gateway re-exposes as they are.

Where a public route forwards a body to the owning service and answers what that
service answered, the request and response models are one definition here, used by the
gateway (which documents and checks them in the public OpenAPI) and by the owning
service (which parses and answers them), so the two cannot drift apart. A model the
gateway changes on the way (renamed fields, a different shape) stays in each service.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from clashtor_common.pagination import Cursor, Limit

__all__ = ["Cursor", "InModel", "Limit"]


class InModel(BaseModel):
    """Request bodies: unknown fields are refused and nothing is coerced (``0`` is not
    ``false``), so what the schema forbids the API refuses."""

    model_config = ConfigDict(extra="forbid", strict=True)
