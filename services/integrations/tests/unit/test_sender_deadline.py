"""One attempt of one webhook has a deadline, whatever its receiver does.

Every organization's deliveries go through one dispatcher, which records a batch only
once all of its sends are over: a receiver that answers a byte at a time (httpx's
timeout is per read, so each byte restarts it) or streams an endless body held every
other organization's deliveries for as long as it liked. A send now ends at the
timeout, and a 2xx is a delivery without its body being read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from integrations.adapters.credentials import new_secret
from integrations.adapters.sender import WebhookSender
from integrations.domain.targets import parse_networks

TIMEOUT = 1.0
TRICKLE_EVERY = 0.2
TRICKLE_BYTES = 60
"""The receiver goes on for 12 s unless the sender hangs up: far past TIMEOUT."""


class Trickler:
    """A receiver that sends ``prefix`` at once, then one more byte of ``then`` every
    TRICKLE_EVERY seconds, and notes whether the sender hung up before the end."""

    def __init__(self, prefix: bytes, then: bytes) -> None:
        self.prefix, self.then = prefix, then
        self.hung_up = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            writer.write(self.prefix)
            await writer.drain()
            for byte in self.then[:TRICKLE_BYTES]:
                try:
                    if await asyncio.wait_for(reader.read(1), TRICKLE_EVERY) == b"":
                        self.hung_up.set()
                        return
                except TimeoutError:
                    pass
                writer.write(bytes([byte]))
                await writer.drain()
        except ConnectionError:
            self.hung_up.set()
        finally:
            writer.close()


@asynccontextmanager
async def receiver(trickler: Trickler) -> AsyncIterator[str]:
    server = await asyncio.start_server(trickler.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.close()


async def send(url: str) -> tuple[int | None, str | None]:
    sender = WebhookSender(allowed=parse_networks(["127.0.0.1/32"]), timeout=TIMEOUT)
    try:
        result = await sender.send(url, msg_id="msg_1", body="{}", secrets=[new_secret()])
    finally:
        await sender.aclose()
    return result.status_code, result.error


async def test_a_receiver_answering_a_byte_at_a_time_is_given_up_at_the_timeout() -> None:
    trickler = Trickler(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * TRICKLE_BYTES)
    async with receiver(trickler) as url:
        status, error = await send(url)
        await asyncio.wait_for(trickler.hung_up.wait(), TRICKLE_EVERY * TRICKLE_BYTES)
    assert status is None and error is not None and "no answer within" in error


async def test_a_2xx_is_a_delivery_without_reading_an_endless_body() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n"
    trickler = Trickler(head, b"x" * TRICKLE_BYTES)
    async with receiver(trickler) as url:
        status, error = await send(url)
        await asyncio.wait_for(trickler.hung_up.wait(), TRICKLE_EVERY * TRICKLE_BYTES)
    assert status == 200 and error is None
