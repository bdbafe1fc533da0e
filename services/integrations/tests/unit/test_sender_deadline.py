"""One attempt of one webhook has a deadline, whatever its receiver does.

Every organization's deliveries go through one dispatcher, which records a batch only
once all of its sends are over: a receiver that answers a byte at a time (httpx's
timeout is per read, so each byte restarts it) or streams an endless body held every
other organization's deliveries for as long as it liked. A send now ends at the
timeout, and a 2xx is a delivery without its body being read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from clashtor_common.telemetry import add_span_processor
from integrations.adapters.credentials import new_secret
from integrations.adapters.resolver import LOOKUPS
from integrations.adapters.sender import WebhookSender
from integrations.domain.targets import IPAddress, parse_networks

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


async def test_a_slow_name_lookup_counts_against_the_deadline() -> None:
    """A subscriber can run the DNS server its URL's name is asked of: an answer after
    five timeouts must not hold the attempt (and the batch) that long."""

    async def slow_dns(host: str, port: int) -> list[IPAddress]:
        await asyncio.sleep(TIMEOUT * 5)
        return [ipaddress.ip_address("127.0.0.1")]

    head = b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
    async with receiver(Trickler(head, b"")) as url:
        sender = WebhookSender(
            allowed=parse_networks(["127.0.0.1/32"]), timeout=TIMEOUT, resolver=slow_dns
        )
        try:
            result = await sender.send(
                url.replace("127.0.0.1", "hooks.example"),
                msg_id="msg_1",
                body="{}",
                secrets=[new_secret()],
            )
        finally:
            await sender.aclose()
    assert result.status_code is None and result.error and "no answer within" in result.error
    assert result.duration_ms < TIMEOUT * 5 * 1000


async def test_a_hooks_secret_path_stays_out_of_the_traces() -> None:
    """A Zapier hook's URL is its credential, path and all (it is stored encrypted):
    the delivery's client span keeps the receiver's origin only."""
    spans = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(spans))
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    async with receiver(Trickler(head, b"")) as url:
        status, _ = await send(url + "/catch/123456/SECRETPATHabc/?token=SECRETQUERY")
    assert status == 200
    values = [str(v) for span in spans.get_finished_spans() for v in span.attributes.values()]
    spans.shutdown()
    assert any("127.0.0.1" in v and "REDACTED" in v for v in values), "the send has its span"
    assert [v for v in values if "SECRETPATH" in v or "SECRETQUERY" in v] == []


async def test_lookups_stuck_at_a_slow_dns_server_leave_the_default_threads_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lookup's deadline does not stop its thread: forty sends whose names a stuck DNS
    server never answers must not take the threads the service's own ``to_thread`` work
    (and the Kafka client's lookups) run on."""
    answer = threading.Event()
    real = socket.getaddrinfo

    def stuck(host: str, *args: Any, **kwargs: Any) -> Any:
        if not str(host).endswith(".slow.test"):
            return real(host, *args, **kwargs)
        answer.wait(60)
        raise socket.gaierror(socket.EAI_NONAME, "no answer")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    sender = WebhookSender(allowed=parse_networks(["127.0.0.1/32"]), timeout=0.5)
    try:
        results = await asyncio.gather(
            *(
                sender.send(
                    f"https://h{i}.slow.test/hook", msg_id="m", body="{}", secrets=[new_secret()]
                )
                for i in range(40)
            )
        )
        assert all(r.error and "no answer within" in r.error for r in results)
        await asyncio.wait_for(asyncio.to_thread(lambda: None), timeout=10)
    finally:
        answer.set()
        await sender.aclose()
        loop = asyncio.get_running_loop()  # the queued lookups end before the patch goes
        await asyncio.gather(*(loop.run_in_executor(LOOKUPS, lambda: None) for _ in range(8)))
