"""Name resolution for outbound requests, replaceable in tests (a rebinding DNS)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from integrations.domain.targets import IPAddress, TargetRefused

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="integrations-dns")
"""Threads of the subscribers' name lookups alone. A lookup's deadline does not stop its
thread (``getaddrinfo`` cannot be cancelled): in the loop's default executor, lookups
held by a subscriber's slow DNS server would take every thread the service's own
``to_thread`` work and the Kafka client's lookups need."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().run_in_executor(
            LOOKUPS, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        )
    except socket.gaierror as exc:
        raise TargetRefused(f"{host} does not resolve: {exc.strerror}") from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
