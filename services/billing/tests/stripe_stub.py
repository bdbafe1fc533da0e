"""A local Stripe for tests of the real ``stripe`` SDK: localstripe plus what it lacks.

``localstripe`` (started bound to 127.0.0.1 in a subprocess, see ``LocalStripe``) serves
customers, products, plans, payment methods, subscriptions and invoices. It has no
Prices, Checkout Sessions, Billing Portal, Meters or meter events, so ``StripeStub`` — a
small FastAPI app the SDK talks to as its ``api`` base — answers those itself, shaped
as Stripe documents them, and proxies every other ``/v1`` request to localstripe:

- ``/v1/prices`` (create, list with ``lookup_keys``/``active``/``product``, retrieve):
  a lookup key belongs to one price (a second create with it is a 400);
- ``/v1/billing/meters`` (create, list): one active meter per ``event_name``;
- ``/v1/billing/meter_events`` (create): counted once per ``identifier``, as Stripe does;
- ``/v1/checkout/sessions`` (create, ``mode=subscription``): line items must name
  existing prices, the customer must exist (checked at localstripe);
- ``/v1/billing_portal/sessions`` (create): the customer must exist.

POSTs honour ``Idempotency-Key`` like Stripe: the same key with the same parameters
replays the first response, with other parameters it is a 400 ``idempotency_error``.
Every request is recorded (method, path, idempotency key, parameters), and ``fail_next``
makes the next N requests to a path answer 429 or 500, to exercise retries.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from clashtor_common.testing.servers import ThreadedApp

LOCALSTRIPE_LAUNCHER = Path(__file__).with_name("localstripe_server.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStripe:
    """localstripe in a subprocess on 127.0.0.1 (its own CLI would bind every interface)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalStripe:
        self.proc = subprocess.Popen(
            [sys.executable, str(LOCALSTRIPE_LAUNCHER), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("localstripe exited during startup")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("localstripe did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# --- Stripe's form encoding ------------------------------------------------------------
def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=1`` pairs into nested dicts and lists, as Stripe reads them."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    return str(value).lower() == "true"


def stripe_error(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": kind, "message": message, "code": code, "param": None}},
        status_code=status,
    )


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    params: dict[str, Any]
    status: int


class StripeStub:
    def __init__(self, localstripe_url: str) -> None:
        self.localstripe_url = localstripe_url
        self.prices: dict[str, dict[str, Any]] = {}
        self.meters: dict[str, dict[str, Any]] = {}
        self.meter_events: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self._idempotent: dict[str, tuple[str, dict[str, Any], int, dict[str, Any]]] = {}
        self._failures: dict[str, list[int]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._served = ThreadedApp(self.app, name="Stripe stub")
        self.port: int | None = None

    # -- test controls -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, path: str, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures[path].extend([status] * times)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def meter_events_for(self, identifier: str) -> list[dict[str, Any]]:
        event = self.meter_events.get(identifier)
        return [event] if event else []

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    # -- HTTP --------------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()
        stub = self

        @app.api_route("/v1/{path:path}", methods=["GET", "POST", "DELETE"])
        async def route(path: str, request: Request) -> Response:
            full = f"/v1/{path}"
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer sk_"):
                return stripe_error(401, "Invalid API Key provided")
            body = await request.body()
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            params = unflatten(
                pairs if request.method == "POST" else list(request.query_params.multi_items())
            )
            key = request.headers.get("idempotency-key")
            with stub._lock:
                failures = stub._failures.get(full)
                failure = failures.pop(0) if failures else None
            if failure:
                stub.requests.append(Recorded(request.method, full, key, params, failure))
                return stripe_error(failure, "scripted failure", "api_error")
            handler = stub._handler(request.method, full)
            if handler is None:
                response = await stub._proxy(request, full, body)
                stub.requests.append(
                    Recorded(request.method, full, key, params, response.status_code)
                )
                return response
            if request.method == "POST" and key:
                cached = stub._idempotent.get(key)
                if cached is not None:
                    c_path, c_params, c_status, c_body = cached
                    if c_path != full or c_params != params:
                        result = stripe_error(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            "idempotency_error",
                        )
                        stub.requests.append(Recorded(request.method, full, key, params, 400))
                        return result
                    stub.requests.append(Recorded(request.method, full, key, params, c_status))
                    return JSONResponse(c_body, status_code=c_status)
            status, payload = await handler(params, auth)
            stub.requests.append(Recorded(request.method, full, key, params, status))
            if request.method == "POST" and key and status == 200:
                stub._idempotent[key] = (full, params, status, payload)
            return JSONResponse(payload, status_code=status)

        return app

    def _handler(self, method: str, path: str):  # type: ignore[no-untyped-def]
        routes = {
            ("POST", "/v1/prices"): self._create_price,
            ("GET", "/v1/prices"): self._list_prices,
            ("POST", "/v1/billing/meters"): self._create_meter,
            ("GET", "/v1/billing/meters"): self._list_meters,
            ("POST", "/v1/billing/meter_events"): self._create_meter_event,
            ("POST", "/v1/checkout/sessions"): self._create_checkout_session,
            ("POST", "/v1/billing_portal/sessions"): self._create_portal_session,
        }
        if (method, path) in routes:
            return routes[(method, path)]
        m = re.fullmatch(r"/v1/prices/([^/]+)", path)
        if method == "GET" and m:
            price_id = m.group(1)

            async def retrieve(_: dict[str, Any], __: str) -> tuple[int, dict[str, Any]]:
                if price_id not in self.prices:
                    return 404, _err(f"No such price: '{price_id}'")
                return 200, self.prices[price_id]

            return retrieve
        return None

    async def _proxy(self, request: Request, path: str, body: bytes) -> Response:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type", "idempotency-key", "stripe-version")
        }
        async with httpx.AsyncClient(base_url=self.localstripe_url, timeout=20) as client:
            resp = await client.request(
                request.method, path, params=request.query_params, content=body, headers=headers
            )
        if resp.headers.get("content-type", "").startswith("application/json"):
            return Response(resp.content, resp.status_code, media_type="application/json")
        # localstripe answers unknown routes with text; Stripe would answer JSON.
        return stripe_error(
            resp.status_code, f"Unrecognized request URL ({request.method}: {path})"
        )

    async def _customer_exists(self, customer_id: str, auth: str) -> bool:
        async with httpx.AsyncClient(base_url=self.localstripe_url, timeout=20) as client:
            resp = await client.get(f"/v1/customers/{customer_id}", headers={"authorization": auth})
        return resp.status_code == 200

    # -- prices ------------------------------------------------------------------------
    async def _create_price(self, p: dict[str, Any], _: str) -> tuple[int, dict[str, Any]]:
        if not p.get("currency") or not p.get("product"):
            return 400, _err("Missing required param: currency or product.")
        lookup = p.get("lookup_key")
        if lookup and any(x["lookup_key"] == lookup for x in self.prices.values()):
            if _bool(p.get("transfer_lookup_key")):
                for x in self.prices.values():
                    if x["lookup_key"] == lookup:
                        x["lookup_key"] = None
            else:
                return 400, _err(
                    f"A price (`{lookup}`) already uses that lookup key.", "lookup_key_exists"
                )
        recurring = p.get("recurring")
        if recurring:
            usage = recurring.get("usage_type", "licensed")
            if usage == "metered" and not recurring.get("meter"):
                return 400, _err("Metered prices must reference a meter.")
            if recurring.get("meter") and recurring["meter"] not in {
                m["id"] for m in self.meters.values()
            }:
                return 400, _err(f"No such meter: '{recurring['meter']}'")
            recurring = {
                "interval": recurring.get("interval"),
                "interval_count": int(recurring.get("interval_count", 1)),
                "meter": recurring.get("meter"),
                "usage_type": usage,
                "aggregate_usage": None,
                "trial_period_days": None,
            }
        tiers = p.get("tiers")
        price = {
            "id": self._new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": p.get("billing_scheme", "per_unit"),
            "created": int(time.time()),
            "currency": p["currency"],
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup,
            "metadata": p.get("metadata") or {},
            "nickname": p.get("nickname"),
            "product": p["product"],
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": p.get("tiers_mode"),
            "tiers": tiers,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": int(p["unit_amount"]) if p.get("unit_amount") is not None else None,
            "unit_amount_decimal": p.get("unit_amount"),
        }
        self.prices[price["id"]] = price
        return 200, price

    async def _list_prices(self, p: dict[str, Any], _: str) -> tuple[int, dict[str, Any]]:
        data = list(self.prices.values())
        if p.get("lookup_keys") is not None:
            keys = set(p["lookup_keys"])
            data = [x for x in data if x["lookup_key"] in keys]
        if p.get("active") is not None:
            data = [x for x in data if x["active"] == _bool(p["active"])]
        if p.get("product"):
            data = [x for x in data if x["product"] == p["product"]]
        return 200, {"object": "list", "url": "/v1/prices", "has_more": False, "data": data}

    # -- meters ------------------------------------------------------------------------
    async def _create_meter(self, p: dict[str, Any], _: str) -> tuple[int, dict[str, Any]]:
        name = p.get("event_name")
        if not name or not p.get("display_name") or not p.get("default_aggregation"):
            return 400, _err(
                "Missing required param: event_name, display_name or default_aggregation."
            )
        if name in self.meters:
            return 400, _err(f"An active meter with event_name `{name}` already exists.")
        now = int(time.time())
        meter = {
            "id": self._new_id("mtr"),
            "object": "billing.meter",
            "created": now,
            "customer_mapping": p.get("customer_mapping")
            or {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "default_aggregation": p["default_aggregation"],
            "display_name": p["display_name"],
            "event_name": name,
            "event_time_window": None,
            "livemode": False,
            "status": "active",
            "status_transitions": {"deactivated_at": None},
            "updated": now,
            "value_settings": p.get("value_settings") or {"event_payload_key": "value"},
        }
        self.meters[name] = meter
        return 200, meter

    async def _list_meters(self, p: dict[str, Any], _: str) -> tuple[int, dict[str, Any]]:
        data = [
            m for m in self.meters.values() if not p.get("status") or m["status"] == p["status"]
        ]
        return 200, {"object": "list", "url": "/v1/billing/meters", "has_more": False, "data": data}

    async def _create_meter_event(self, p: dict[str, Any], _: str) -> tuple[int, dict[str, Any]]:
        payload = p.get("payload") or {}
        if not p.get("event_name") or not payload.get("stripe_customer_id"):
            return 400, _err("Missing required param: event_name or payload[stripe_customer_id].")
        try:
            float(payload.get("value", ""))
        except ValueError:
            return 400, _err("payload[value] must be a number.")
        now = int(time.time())
        identifier = p.get("identifier") or self._new_id("mev")
        event = {
            "object": "billing.meter_event",
            "created": now,
            "event_name": p["event_name"],
            "identifier": identifier,
            "livemode": False,
            "payload": payload,
            "timestamp": int(p.get("timestamp") or now),
        }
        # Stripe enforces identifier uniqueness: the same usage is counted once.
        self.meter_events.setdefault(identifier, event)
        return 200, event

    # -- hosted pages ------------------------------------------------------------------
    async def _create_checkout_session(
        self, p: dict[str, Any], auth: str
    ) -> tuple[int, dict[str, Any]]:
        if p.get("mode") != "subscription":
            return 400, _err("This stub supports mode=subscription only.")
        if not p.get("success_url"):
            return 400, _err("Missing required param: success_url.")
        items = p.get("line_items") or []
        if not items:
            return 400, _err("Missing required param: line_items.")
        for item in items:
            if item.get("price") not in self.prices:
                return 400, _err(f"No such price: '{item.get('price')}'")
        customer = p.get("customer")
        if customer and not await self._customer_exists(customer, auth):
            return 400, _err(f"No such customer: '{customer}'")
        sid = self._new_id("cs_test")
        session = {
            "id": sid,
            "object": "checkout.session",
            "cancel_url": p.get("cancel_url"),
            "client_reference_id": p.get("client_reference_id"),
            "created": int(time.time()),
            "currency": None,
            "customer": customer,
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": p.get("metadata") or {},
            "mode": "subscription",
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": p["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{sid}",
        }
        self.checkout_sessions[sid] = {**session, "line_items": items}
        return 200, session

    async def _create_portal_session(
        self, p: dict[str, Any], auth: str
    ) -> tuple[int, dict[str, Any]]:
        customer = p.get("customer")
        if not customer or not await self._customer_exists(customer, auth):
            return 400, _err(f"No such customer: '{customer}'")
        sid = self._new_id("bps")
        session = {
            "id": sid,
            "object": "billing_portal.session",
            "configuration": "bpc_stub",
            "created": int(time.time()),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": p.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{sid}",
        }
        self.portal_sessions[sid] = session
        return 200, session

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> StripeStub:
        self.port = self._served.start()
        return self

    def stop(self) -> None:
        self._served.stop()


def _err(message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "message": message, "code": code}}


def signed(
    payload: dict[str, Any] | str, secret: str, timestamp: int | None = None
) -> tuple[str, str]:
    """A webhook body and its ``Stripe-Signature`` header, signed as Stripe signs."""
    import stripe

    body = payload if isinstance(payload, str) else json.dumps(payload)
    return body, stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
