"""The whole system starts, every service is ready, and the gateway serves its API."""

from __future__ import annotations

import httpx

from .stack import Stack


def test_every_service_is_ready_and_the_gateway_serves_openapi(stack: Stack) -> None:
    with httpx.Client(timeout=10) as client:
        for name, url in stack.urls.items():
            ready = client.get(f"{url}/readyz")
            assert ready.status_code == 200, (name, ready.text)
            assert ready.json()["checks"] == {"database": True, "broker": True} | {
                k: v for k, v in ready.json()["checks"].items() if k not in ("database", "broker")
            }
        spec = client.get(f"{stack.gateway}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
