"""Log lines are JSON with the fields that lead to a trace, a request and a tenant."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from clashtor_common.logs import configure_logging, log_context, valid_request_id


def logged_line() -> dict[str, str | None]:
    """The last JSON line a fresh ``configure_logging`` handler wrote."""
    return dict(json.loads(_stream.getvalue().splitlines()[-1]))


_stream = io.StringIO()


def capture(service: str) -> None:
    configure_logging(service)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(_stream)


def test_a_log_line_carries_trace_span_request_org_and_service() -> None:
    capture("ingest")
    tracer = TracerProvider().get_tracer("test")
    with (
        tracer.start_as_current_span("work") as span,
        log_context(request_id="req-1", org_id="org-9"),
    ):
        logging.getLogger("clashtor.test").warning("call %s stored", "c-1")
    line = logged_line()
    ctx = span.get_span_context()
    assert line["message"] == "call c-1 stored"
    assert line["trace_id"] == format(ctx.trace_id, "032x")
    assert line["span_id"] == format(ctx.span_id, "016x")
    assert line["request_id"] == "req-1"
    assert line["org_id"] == "org-9"
    assert line["service"] == "ingest"


def test_outside_a_request_the_fields_are_null_not_missing() -> None:
    capture("score")
    logging.getLogger("clashtor.test").warning("idle")
    line = logged_line()
    assert {k: line[k] for k in ("trace_id", "span_id", "request_id", "org_id")} == dict.fromkeys(
        ("trace_id", "span_id", "request_id", "org_id")
    )


def test_only_short_plain_request_ids_are_taken() -> None:
    assert valid_request_id("3f2a-req_1.x:y")
    assert not valid_request_id("")
    assert not valid_request_id("a" * 129)
    assert not valid_request_id("has space")
    assert not valid_request_id('{"json": 1}')
