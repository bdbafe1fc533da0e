"""A call's data key, asked of the service that owns it, by the service that reads its object.

Events name an object's data key (``call-uploaded`` v4 ``audio_key_id``,
``call-transcribed`` v4 ``transcript_key_id``) but never carry it: the key stays in its
producer's key table, and the reader asks for it over the producer's internal API
(``GET /internal/data-keys/{id}``, ``data_key_router``). The answer is the key wrapped
by the master key (the reader holds the master keys to open it); it is never stored.
Once the call is erased the producer has destroyed the key and answers 410, so a topic
replayed later, with a backup of the object and the master keys, opens nothing: the
reader treats the call as erased (``KeyDestroyed``), it is not an error to retry.

Only ``call:`` keys are served, only to the ``system`` role (a service, never a user:
the gateway does not issue it), and only for a call of the caller's organization.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Protocol

import httpx
from fastapi import APIRouter, Path, Request
from sqlalchemy import select

from clashtor_common.crypto import DataKey, KeyDestroyed, Keyring
from clashtor_common.datakeys import KeyTable, key_for_event, keys_from_event
from clashtor_common.db import Database
from clashtor_common.errors import ApiError
from clashtor_common.events import WrappedDataKey
from clashtor_common.identity import IDENTITY_HEADER, CurrentIdentity, Identity, sign_identity
from clashtor_common.settings import ServiceSettings

PATH = "/internal/data-keys/{key_id}"
SERVED_PREFIX = "call:"


class _KeyHolder(Protocol):
    db: Database
    keys: KeyTable


def data_key_router(
    context_of: Callable[[Any], _KeyHolder], call_id: Any, org_id: Any
) -> APIRouter:
    """The producer's ``GET /internal/data-keys/{key_id}``.

    ``context_of(runtime)``: the service's context (its database and key table);
    ``call_id``, ``org_id``: the columns of its calls table that say whose call it is."""
    router = APIRouter()

    @router.get(
        PATH,
        response_model=WrappedDataKey,
        summary="A call's data key, wrapped by the master key, for a service reading its object",
        responses={410: {"description": "the key is destroyed (the call was erased)"}},
    )
    async def get_data_key(
        key_id: Annotated[str, Path(max_length=120)], identity: CurrentIdentity, request: Request
    ) -> WrappedDataKey:
        if identity.role != "system":
            raise ApiError(403, "forbidden", "data keys are served to services only")
        if not key_id.startswith(SERVED_PREFIX):
            raise ApiError(404, "not_found", "no such data key")
        ctx = context_of(request.app.state.runtime)
        table = ctx.keys
        whose = select(call_id).where(
            call_id == key_id.removeprefix(SERVED_PREFIX), org_id == identity.org_id
        )
        async with ctx.db.session() as session:
            if (await session.execute(whose)).first() is None:
                raise ApiError(410, "key_destroyed", "no data key for this call (erased?)")
            keys = await table.load(session, [key_id])
        if key_id not in keys:
            raise ApiError(410, "key_destroyed", "the data key is destroyed (the call was erased)")
        return key_for_event(table.keyring, keys[key_id])

    return router


class DataKeyClient:
    """Asks one producer for the data keys its events name."""

    def __init__(
        self,
        base_url: str,
        *,
        identity_secret: str,
        keyring: Keyring,
        service: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity_secret = identity_secret
        self.keyring = keyring
        self.service = service
        self.timeout = timeout
        self.transport = transport

    async def fetch(self, org_id: str, key_id: str | None) -> dict[str, DataKey]:
        """``{key_id: key}`` as ``Keyring.decrypt(keys=...)`` takes it ({} for no key id).

        Raises ``KeyDestroyed`` if the producer no longer has it (the call was erased);
        other failures (the producer down, a 5xx) raise ``httpx.HTTPError``, to retry."""
        if key_id is None:
            return {}
        token = sign_identity(
            Identity(org_id=org_id, user_id=f"service:{self.service}", role="system"),
            self.identity_secret,
        )
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, transport=self.transport
        ) as client:
            response = await client.get(
                PATH.format(key_id=key_id), headers={IDENTITY_HEADER: token}
            )
        if response.status_code == 410:
            raise KeyDestroyed(f"data key {key_id!r}: the producer has none (erased)")
        response.raise_for_status()
        return keys_from_event(self.keyring, WrappedDataKey.model_validate(response.json()))


def producer_keys(settings: ServiceSettings, keyring: Keyring, producer_url: str) -> DataKeyClient:
    """The client a consumer service asks ``producer_url`` with (its own identity secret)."""
    return DataKeyClient(
        producer_url,
        identity_secret=settings.identity_secret.get_secret_value(),
        keyring=keyring,
        service=settings.service_name,
    )
