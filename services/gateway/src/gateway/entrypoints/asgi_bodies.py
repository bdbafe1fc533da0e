"""Request bodies and error answers at the ASGI level, for the gateway's middlewares."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Send

from clashtor_common.errors import error_body


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    """The API's JSON error answer, sent from a middleware."""
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body as it arrives, or None once past ``limit`` bytes (the
    rest is never read). ``ClientDisconnect`` if the client goes before its end: a body
    cut short is not handed on as if it were whole."""
    parts: list[bytes] = []
    size = 0
    while True:
        message: dict[str, Any] = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def replaying(body: bytes) -> Receive:
    """A ``receive`` that gives ``body`` whole once, then a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
