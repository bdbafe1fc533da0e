"""A producer's data-key API (``clashtor_common.keyservice``) stood in for a consumer's tests.

The consumer under test is configured with ``url`` as its producer's address (e.g.
``TRANSCRIBE_INGEST_URL``); the stand-in serves ``GET /internal/data-keys/{id}`` over real
HTTP from ``keys``, checks the caller's signed service identity, and answers 410 for a key
it does not hold (as the producer does once the call is erased).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from clashtor_common.crypto import DataKey, Keyring
from clashtor_common.datakeys import key_for_event
from clashtor_common.embedded import free_port
from clashtor_common.identity import IDENTITY_HEADER, verify_identity
from clashtor_common.keyservice import PATH
from clashtor_common.testing.apps import serve


def producer_url() -> str:
    """An address to configure before the stand-in serves it."""
    return f"http://127.0.0.1:{free_port()}"


class ProducerKeys:
    def __init__(self, url: str, keyring: Keyring, identity_secret: str) -> None:
        self.url = url
        self.keyring = keyring
        self.identity_secret = identity_secret
        self.keys: dict[str, DataKey] = {}
        self.requests: list[str] = []
        """Key ids asked for, in order (with the caller's organization checked nowhere)."""
        self._stack = AsyncExitStack()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/readyz")
        async def ready() -> dict[str, str]:
            return {"status": "ok"}

        @app.get(PATH)
        async def data_key(key_id: str, request: Request) -> Any:
            identity = verify_identity(request.headers[IDENTITY_HEADER], self.identity_secret)
            if identity.role != "system":
                return JSONResponse({"error": {"code": "forbidden"}}, status_code=403)
            self.requests.append(key_id)
            key = self.keys.get(key_id)
            if key is None:
                return JSONResponse({"error": {"code": "key_destroyed"}}, status_code=410)
            return key_for_event(self.keyring, key).model_dump()

        return app

    async def start(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        await self._stack.enter_async_context(serve(self._app(), port=port))

    async def stop(self) -> None:
        await self._stack.aclose()
