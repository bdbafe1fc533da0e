"""Wire formats of internal APIs that the gateway re-exposes as they are.

Where a public route forwards a body to the owning service and answers what that
service answered, the request and response models are one definition here, used by the
gateway (which documents and checks them in the public OpenAPI) and by the owning
service (which parses and answers them), so the two cannot drift apart. A model the
gateway changes on the way (renamed fields, a different shape) stays in each service.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["InModel", "at_least_one_of"]

Model = TypeVar("Model", bound=BaseModel)


class InModel(BaseModel):
    """Request bodies: unknown fields are refused and nothing is coerced (``0`` is not
    ``false``), so what the schema forbids the API refuses."""

    model_config = ConfigDict(extra="forbid", strict=True)


def at_least_one_of(*fields: str, message: str) -> Any:
    """A model validator, in a request body's class (``_named = at_least_one_of("id",
    "email", message=...)``): a body that sets none of ``fields`` is refused with ``message``."""

    def check(model: Model) -> Model:
        if all(getattr(model, name) is None for name in fields):
            raise ValueError(message)
        return model

    return model_validator(mode="after")(check)
