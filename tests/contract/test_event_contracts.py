"""Producer/consumer contracts: every event has one schema, a producer and a consumer.

- The JSON Schema of every payload is pinned in ``schemas/``: changing a published
  event's shape must be deliberate (bump its version, keep the old one readable).
  Regenerate after a deliberate change with
  ``CLASHTOR_UPDATE_SCHEMAS=1 pytest tests/contract``.
- Each service's ``PRODUCES`` lists only topics whose payload class its code really
  constructs, and its ``CONSUMES`` only topics some service produces.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
from pathlib import Path

import pytest

from clashtor_common.events import PAYLOADS, Topic, json_schemas

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "transcribe", "score", "billing", "privacy", "integrations", "gateway")
SCHEMAS = Path(__file__).parent / "schemas"
PAYLOAD_BY_TOPIC = {p.event_type: p for p in PAYLOADS}


def stream_module(service: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"{service}.entrypoints.stream")


#: Helpers in libs/common that build a payload for the service that calls them.
BUILT_BY_HELPER = {
    "ProgressReporter": "CallProgressed",
    "write_part": "ExportPartReady",
    "erased": "ErasureCompleted",
}


def constructed_payloads(service: str) -> set[str]:
    """Names of payload classes the service's source code calls (directly or via a helper)."""
    names = {p.__name__ for p in PAYLOADS} | set(BUILT_BY_HELPER)
    found: set[str] = set()
    for path in (ROOT / "services" / service / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                fn = node.func
                name = (
                    fn.id
                    if isinstance(fn, ast.Name)
                    else fn.attr
                    if isinstance(fn, ast.Attribute)
                    else None
                )
                if name in names:
                    found.add(BUILT_BY_HELPER.get(name, name))
    return found


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_payload_schema_matches_the_pinned_contract(name: str) -> None:
    current = json_schemas()[name]
    pinned = SCHEMAS / f"{name}.json"
    if os.environ.get("CLASHTOR_UPDATE_SCHEMAS") or not pinned.exists():
        pinned.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert json.loads(pinned.read_text()) == current, (
        f"{name} changed shape: publish a new version instead of changing a published one"
    )


def test_every_topic_has_exactly_one_payload_model() -> None:
    assert set(PAYLOAD_BY_TOPIC) == {t.value for t in Topic}


@pytest.mark.parametrize("service", SERVICES)
def test_declared_productions_are_really_constructed(service: str) -> None:
    produces = set(stream_module(service).PRODUCES)
    built = constructed_payloads(service)
    for topic in produces:
        assert PAYLOAD_BY_TOPIC[topic].__name__ in built, (
            f"{service} declares {topic} but never builds it"
        )
    for topic, payload in PAYLOAD_BY_TOPIC.items():
        if payload.__name__ in built:
            assert topic in produces, (
                f"{service} builds {payload.__name__} but does not declare {topic}"
            )


def test_every_consumed_topic_has_a_producer_and_every_produced_topic_a_consumer() -> None:
    produced = {t for s in SERVICES for t in stream_module(s).PRODUCES}
    consumed = {t for s in SERVICES for t in stream_module(s).CONSUMES}
    assert consumed <= produced, f"consumed but never produced: {sorted(consumed - produced)}"
    assert produced <= consumed, f"produced but never consumed: {sorted(produced - consumed)}"


@pytest.mark.parametrize("service", SERVICES)
def test_consumers_register_a_handler_for_each_consumed_topic(service: str) -> None:
    from clashtor_common.bus import subscribed_topics

    bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap
    runtime = bootstrap()
    registered = subscribed_topics(runtime.broker)
    assert set(registered.get(service, ())) == set(stream_module(service).CONSUMES)
