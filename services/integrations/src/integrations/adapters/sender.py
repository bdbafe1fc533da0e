"""Posts one signed webhook to a checked address (Standard Webhooks).

The host is resolved and every address checked (``domain.targets``) right before the
request, and the request goes to the checked address itself: the URL's host is kept
in the ``Host`` header and, for https, as the TLS server name (so the certificate is
still verified against it). A DNS answer that changes between the check and the
connection (rebinding) therefore cannot move the request. Redirects are not followed:
a 3xx could point anywhere.

An attempt ends at ``timeout`` in all (httpx's own timeout is per read: a receiver
answering a byte at a time would restart it forever), and a response's body is never
read: its status decides. One organization's receiver cannot hold the dispatcher that
sends every organization's deliveries.

Signatures come from the ``standardwebhooks`` library: ``webhook-signature`` carries
``v1,<base64 HMAC-SHA256>`` for the current secret and, during a rotation's grace
period, for the previous one too (space-separated, as the specification allows).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from clashtor_common.telemetry import SECRET_PATH
from integrations.adapters.resolver import Resolver, system_resolver
from integrations.domain.targets import (
    IPNetwork,
    TargetRefused,
    check_addresses,
    parse_target,
)

USER_AGENT = "Clashtor-Webhooks/1.0"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secrets: list[str], msg_id: str, at: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,`` signature per live secret."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


class WebhookSender:
    def __init__(
        self,
        *,
        allowed: tuple[IPNetwork, ...],
        timeout: float,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.allowed = allowed
        self.resolver = resolver
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
            headers={"user-agent": USER_AGENT},
        )

    async def check(self, url: str) -> None:
        """``TargetRefused`` unless ``url`` may receive webhooks now."""
        target = parse_target(url)
        check_addresses(target.host, await self.resolver(target.host, target.port), self.allowed)

    async def send(
        self, url: str, *, msg_id: str, body: str, secrets: list[str], at: datetime | None = None
    ) -> SendResult:
        started = time.monotonic()

        def done(status: int | None, error: str | None) -> SendResult:
            elapsed = int((time.monotonic() - started) * 1000)
            return SendResult(status, error[:500] if error else None, elapsed)

        at = at or datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": sign(secrets, msg_id, at, body),
        }
        try:
            # the deadline covers the name's lookup too: a receiver's own slow DNS server
            # would otherwise hold the batch past the timeout (its thread stays busy, in
            # the lookups' own pool: resolver.LOOKUPS)
            async with asyncio.timeout(self.timeout):
                request = await self._pinned_request(url, body, headers)
                response = await self._client.send(request, stream=True)
                await response.aclose()  # the status is the answer: the body is never read
        except TargetRefused as exc:
            return done(None, f"refused: {exc}")
        except TimeoutError:
            return done(None, f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return done(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        return done(response.status_code, None if response.is_success else "not a 2xx answer")

    async def _pinned_request(self, url: str, body: str, headers: dict[str, str]) -> httpx.Request:
        """The POST to ``url`` sent to the address its name resolved to now and was
        checked (``TargetRefused`` if it may not receive webhooks), named in Host and SNI."""
        target = parse_target(url)
        addresses = check_addresses(
            target.host, await self.resolver(target.host, target.port), self.allowed
        )
        address = addresses[0]
        pinned = httpx.URL(url).copy_with(host=str(address))
        # the URL's path can be the subscriber's secret (a Zapier hook): spans keep the
        # origin only
        extensions: dict[str, object] = {SECRET_PATH: True}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        return self._client.build_request(
            "POST",
            pinned,
            content=body.encode(),
            headers={"host": httpx.URL(url).netloc.decode("ascii"), **headers},
            extensions=extensions,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
