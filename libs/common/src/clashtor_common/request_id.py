"""``X-Request-ID``: accepted (when plain and short) or made, answered, and propagated.

The middleware binds the id for the request's logs and puts it into the W3C baggage of
the request's context, so it goes wherever the trace context goes: to the services on
the gateway's httpx calls (with ``traceparent``), into the outbox rows the request
writes, into Kafka headers and so into the handlers of the events it caused.

At the public edge (``trust_baggage=False``: the gateway) a client's ``baggage`` header
is dropped, so outsiders cannot plant entries that would ride along into every outbox
row and log line; internal services take the gateway's.
"""

from __future__ import annotations

import uuid

from opentelemetry import baggage, context, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware
from clashtor_common.logs import (
    REQUEST_ID_BAGGAGE,
    bind_org,
    current_request_id,
    valid_request_id,
)

REQUEST_ID_HEADER = "X-Request-ID"
#: The server span names the request id, so a trace can be found from a user's report.
REQUEST_ID_ATTRIBUTE = "clashtor.request_id"


class RequestIdMiddleware(HttpMiddleware):
    """Pure ASGI (no task switch), so the bound context reaches the endpoint."""

    def __init__(self, app: ASGIApp, *, trust_baggage: bool = True) -> None:
        super().__init__(app)
        self.trust_baggage = trust_baggage

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None
        )
        ctx = context.get_current() if self.trust_baggage else baggage.clear()
        if not valid_request_id(given):
            given = current_request_id() if self.trust_baggage else None
        request_id = given if given and valid_request_id(given) else uuid.uuid4().hex
        token = context.attach(baggage.set_baggage(REQUEST_ID_BAGGAGE, request_id, ctx))
        trace.get_current_span().set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
        bind_org(None)
        encoded = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", encoded)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            context.detach(token)
