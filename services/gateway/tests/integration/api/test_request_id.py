"""The request id and trace context go from a caller through the gateway to the service
it calls; the gateway's own metrics are not on its public port."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from clashtor_common.logs import configure_logging


async def test_request_id_is_answered_and_reaches_the_service_with_the_trace(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    resp = await owner.client.get("/v1/calls", headers={"X-Request-ID": "gw-req-42"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Request-ID"] == "gw-req-42"
    seen = [s for s in fake_state.seen if s.path == "/internal/calls"][-1]
    assert "request_id=gw-req-42" in seen.headers["baggage"]
    trace_id = seen.headers["traceparent"].split("-")[1]
    assert len(trace_id) == 32 and set(trace_id) != {"0"}


async def test_a_request_without_an_id_gets_one_and_a_planted_baggage_is_dropped(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    resp = await owner.client.get("/v1/calls", headers={"baggage": "request_id=planted,role=admin"})
    made = resp.headers["X-Request-ID"]
    assert made and made != "planted"
    seen = [s for s in fake_state.seen if s.path == "/internal/calls"][-1]
    assert seen.headers["baggage"] == f"request_id={made}"


async def test_metrics_are_not_served_on_the_public_port(api: Any) -> None:
    resp = await api.client().get("/metrics")
    assert "python_gc_objects_collected_total" not in resp.text
    assert "clashtor_" not in resp.text


async def test_log_lines_of_a_request_name_its_request_id_and_organization(
    api: Any, fake_state: Any
) -> None:
    stream = io.StringIO()
    configure_logging("gateway")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    owner = await api.signup()
    fake_state.fail_next("GET", "/internal/calls", status=503)
    resp = await owner.client.get("/v1/calls", headers={"X-Request-ID": "gw-log-7"})
    assert resp.status_code == 503
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    degraded = [line for line in lines if "degraded" in line["message"]]
    assert degraded, lines
    assert degraded[0]["request_id"] == "gw-log-7"
    assert degraded[0]["org_id"] == owner.org_id
    assert degraded[0]["trace_id"] and degraded[0]["service"] == "gateway"
    assert owner.email not in stream.getvalue()
