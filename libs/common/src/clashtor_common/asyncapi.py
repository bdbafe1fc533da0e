"""AsyncAPI 3.0 documents of each service's events, generated from the event models.

Events leave a service through its outbox relay (a plain Kafka producer), and its
consumers are one batch subscriber per service that hands raw records to the bus, so
FastStream has no typed publisher or subscriber to describe: its own generated
document lists every payload as ``null``. The truth about an event is its model in
``clashtor_common.events``: this module turns each service's ``CONSUMES`` and
``PRODUCES`` (``<service>.entrypoints.stream``) and those models into a document
whose every message has the envelope with its payload's real JSON Schema.

``python -m clashtor_common.asyncapi docs/asyncapi`` writes one ``<service>.json``
per service; ``tests/contract/test_asyncapi.py`` keeps them in sync with the code.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from clashtor_common.events import PAYLOADS, Envelope, EventPayload

REF = "#/components/schemas/{model}"
_BY_TOPIC: dict[str, type[EventPayload]] = {p.event_type: p for p in PAYLOADS}


def _message_name(model: type[EventPayload]) -> str:
    return model.__name__


def _message(model: type[EventPayload]) -> dict[str, Any]:
    """The message as it travels: the envelope, its type and version fixed, its ``data``
    the payload model."""
    name = _message_name(model)
    return {
        "name": model.event_type,
        "title": name,
        "summary": (model.__doc__ or "").strip().split("\n")[0] or model.event_type,
        "contentType": "application/json",
        "payload": {
            "allOf": [
                {"$ref": REF.format(model="Envelope")},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": model.event_type},
                        "version": {"const": model.event_version},
                        "data": {"$ref": REF.format(model=name)},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the call id or the organization id"},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _schemas(models: Iterable[type[EventPayload]]) -> dict[str, Any]:
    wanted = [(Envelope, "validation"), *((m, "validation") for m in models)]
    _, top = models_json_schema(wanted, ref_template=REF)  # type: ignore[arg-type]
    defs: dict[str, Any] = top.get("$defs", {})
    return dict(sorted(defs.items()))


def document(service: str, *, consumes: Sequence[str], produces: Sequence[str]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service``: a channel per topic it touches, a
    ``receive`` operation per consumed topic and a ``send`` per produced one."""
    topics = sorted(set(consumes) | set(produces))
    unknown = [t for t in topics if t not in _BY_TOPIC]
    if unknown:
        raise ValueError(f"{service}: no event model for topics {unknown}")
    models = [_BY_TOPIC[t] for t in topics]
    channels = {
        t: {
            "address": t,
            "messages": {_message_name(m): {"$ref": f"#/components/messages/{_message_name(m)}"}},
            "description": f"one topic per event type; dead letters go to {t}.dlq",
        }
        for t, m in zip(topics, models, strict=True)
    }
    operations: dict[str, Any] = {}
    for action, listed in (("receive", consumes), ("send", produces)):
        for t in sorted(listed):
            name = _message_name(_BY_TOPIC[t])
            operations[f"{action}_{t.replace('-', '_')}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{t}"},
                "messages": [{"$ref": f"#/channels/{t}/messages/{name}"}],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"clashtor {service}",
            "version": "1.0.0",
            "description": (
                f"Events the {service} service consumes (group {service!r}) and produces "
                "(through its transactional outbox). Generated from clashtor_common.events; "
                "do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "kafka-bootstrap:9093",
                "protocol": "kafka-secure",
                "description": "TLS + SCRAM-SHA-512 (deploy/k8s); Tansu on 127.0.0.1 locally",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {_message_name(m): _message(m) for m in models},
            "schemas": _schemas(models),
        },
    }


def service_document(service: str) -> dict[str, Any]:
    """The document of a service from its ``entrypoints.stream`` declarations."""
    stream = importlib.import_module(f"{service}.entrypoints.stream")
    return document(service, consumes=stream.CONSUMES, produces=stream.PRODUCES)


def services_with_streams(root: Path) -> list[str]:
    """Services under ``root/services`` that declare what they consume and produce."""
    return sorted(
        p.parent.parent.name
        for p in root.glob("services/*/src/*/entrypoints/stream.py")
        if p.parent.parent.name == p.parents[3].name
    )


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs/asyncapi")
    root = Path(args[1] if len(args) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for service in services_with_streams(root):
        (out / f"{service}.json").write_text(render(service_document(service)))
        print(f"wrote {out / f'{service}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
