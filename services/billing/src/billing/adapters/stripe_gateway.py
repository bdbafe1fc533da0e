"""The one adapter to Stripe: the official SDK with timeouts and retries on 429/5xx.

Every call goes through ``StripeClient`` (configurable base URL, so tests point it at a
local server speaking Stripe's API). The SDK's own network retries are off; tenacity
retries rate limits, server errors and connection failures with jittered backoff, and
creates carry idempotency keys, so a retried create is applied once. Errors come out
as ``StripeUnavailable`` (try again later) or ``StripeRejected`` (the request itself is
wrong; ``StripeNotFound`` for a missing object). Results are plain dicts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import stripe
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class StripeUnavailable(Exception):
    """Stripe did not answer usefully (429, 5xx, network) after the retries."""


class StripeRejected(Exception):
    """Stripe refused the request (4xx other than 429)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StripeNotFound(StripeRejected):
    pass


class StripeKeyReused(StripeRejected):
    """An idempotency key Stripe saw before with other parameters."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError):
        return True
    status = getattr(exc, "http_status", None)
    return (
        isinstance(exc, stripe.StripeError)
        and status is not None
        and (status == 429 or status >= 500)
    )


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


class StripeGateway:
    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout: float = 20,
        max_attempts: int = 4,
        retry_initial_seconds: float = 0.5,
    ) -> None:
        self._http = stripe.HTTPXClient(timeout=timeout)
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=0,
        )
        self.max_attempts = max_attempts
        self.retry_initial_seconds = retry_initial_seconds

    async def aclose(self) -> None:
        await self._http.close_async()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(
                initial=self.retry_initial_seconds, max=8, jitter=self.retry_initial_seconds
            ),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await call()
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None)
            message = f"Stripe {what} failed (HTTP {status}): {exc.user_message or exc}"
            if is_transient(exc):
                raise StripeUnavailable(message) from exc
            if status == 404:
                raise StripeNotFound(message, status) from exc
            if isinstance(exc, stripe.IdempotencyError):
                raise StripeKeyReused(message, status) from exc
            raise StripeRejected(message, status) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _create(
        self, what: str, resource: Any, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        """A new ``what`` made by ``resource`` (a service of the client: ``v1.prices``…),
        applied once per ``idempotency_key`` however often the call is retried."""
        created = await self._call(
            f"{what} create",
            lambda: resource.create_async(params, {"idempotency_key": idempotency_key}),
        )
        return _plain(created)

    async def _retrieve(self, what: str, resource: Any, object_id: str) -> dict[str, Any] | None:
        """Stripe's current state of the ``what`` with that id; None if Stripe does not know it."""
        try:
            found = await self._call(f"{what} lookup", lambda: resource.retrieve_async(object_id))
        except StripeNotFound:
            return None
        return _plain(found)

    # catalog ---------------------------------------------------------------------------
    async def find_prices(self, lookup_keys: list[str]) -> dict[str, dict[str, Any]]:
        """Active prices by lookup key (only the keys that exist)."""
        found = await self._call(
            "price lookup",
            lambda: self.client.v1.prices.list_async(
                {"lookup_keys": lookup_keys, "active": True, "limit": 100}
            ),
        )
        prices = [_plain(p) for p in found.data]
        return {p["lookup_key"]: p for p in prices if p.get("lookup_key")}

    async def create_price(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return await self._create("price", self.client.v1.prices, params, idempotency_key)

    async def find_product(self, product_id: str) -> dict[str, Any] | None:
        return await self._retrieve("product", self.client.v1.products, product_id)

    async def create_product(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return await self._create("product", self.client.v1.products, params, idempotency_key)

    async def find_meter(self, event_name: str) -> dict[str, Any] | None:
        meters = await self._call(
            "meter lookup",
            lambda: self.client.v1.billing.meters.list_async({"status": "active", "limit": 100}),
        )
        for meter in map(_plain, meters.data):
            if meter.get("event_name") == event_name:
                return meter
        return None

    async def create_meter(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return await self._create("meter", self.client.v1.billing.meters, params, idempotency_key)

    # customers and subscriptions ---------------------------------------------------------
    async def create_customer(self, org_id: str) -> str:
        """A customer for ``org_id`` with no name or email (Checkout collects those)."""
        customer = await self._create(
            "customer",
            self.client.v1.customers,
            {"metadata": {"org_id": org_id}},
            f"clashtor-customer-{org_id}",
        )
        return str(customer["id"])

    async def retrieve_customer(self, customer_id: str) -> dict[str, Any] | None:
        return await self._retrieve("customer", self.client.v1.customers, customer_id)

    async def update_customer(
        self, customer_id: str, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        customer = await self._call(
            "customer update",
            lambda: self.client.v1.customers.update_async(
                customer_id,
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            ),
        )
        return _plain(customer)

    async def retrieve_subscription(self, subscription_id: str) -> dict[str, Any] | None:
        """Stripe's current state of a subscription; None if Stripe does not know it."""
        return await self._retrieve("subscription", self.client.v1.subscriptions, subscription_id)

    async def cancel_subscription(self, subscription_id: str) -> dict[str, Any]:
        sub = await self._call(
            "subscription cancel",
            lambda: self.client.v1.subscriptions.cancel_async(subscription_id),
        )
        return _plain(sub)

    # hosted pages ----------------------------------------------------------------------
    async def create_checkout_session(
        self, params: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        return await self._create(
            "checkout session", self.client.v1.checkout.sessions, params, idempotency_key
        )

    async def create_portal_session(self, customer_id: str, return_url: str) -> dict[str, Any]:
        key = f"clashtor-portal-{customer_id}-{uuid.uuid4()}"
        return await self._create(
            "billing portal session",
            self.client.v1.billing_portal.sessions,
            {"customer": customer_id, "return_url": return_url},
            key,
        )

    # usage -----------------------------------------------------------------------------
    async def report_meter_event(
        self,
        *,
        event_name: str,
        customer_id: str,
        value: int,
        identifier: str,
        timestamp: int,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """One meter event; ``identifier`` makes Stripe count it once however often sent."""
        return await self._create(
            "meter event",
            self.client.v1.billing.meter_events,
            {
                "event_name": event_name,
                "payload": {"stripe_customer_id": customer_id, "value": str(value)},
                "identifier": identifier,
                "timestamp": timestamp,
            },
            idempotency_key,
        )


def gateway_from_settings(settings: Any) -> StripeGateway | None:
    """The gateway, or None when no Stripe API key is configured (local default)."""
    if not settings.stripe_configured:
        return None
    return StripeGateway(
        settings.stripe_api_key.get_secret_value(),
        api_base=settings.stripe_api_base,
        timeout=settings.stripe_timeout_seconds,
        max_attempts=settings.stripe_max_attempts,
        retry_initial_seconds=settings.stripe_retry_initial_seconds,
    )
