"""``docs/asyncapi/``: each service's AsyncAPI document, generated from the event models.

The documents must equal what ``clashtor_common.asyncapi`` generates from the code
(regenerate with ``make asyncapi``), and every message must carry the real schema of
its payload, so that an event as services publish it validates against the document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from clashtor_common.asyncapi import render, service_document, services_with_streams
from clashtor_common.events import CallFailed, CallProgressed, make_event

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "asyncapi"
SERVICES = services_with_streams(ROOT)


def test_there_is_one_document_per_service_and_no_stale_one() -> None:
    assert {"ingest", "transcribe", "score", "billing", "privacy", "gateway"} <= set(SERVICES)
    assert sorted(p.stem for p in DOCS.glob("*.json")) == SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_in_docs_is_the_one_the_code_generates(service: str) -> None:
    written = (DOCS / f"{service}.json").read_text()
    assert written == render(service_document(service)), (
        f"docs/asyncapi/{service}.json is stale: run make asyncapi"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_message_has_its_payload_schema(service: str) -> None:
    doc = json.loads((DOCS / f"{service}.json").read_text())
    messages = doc["components"]["messages"]
    assert messages
    for name, message in messages.items():
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        schema = doc["components"]["schemas"][data_ref.rsplit("/", 1)[1]]
        assert schema["type"] == "object" and schema["properties"], name
        assert schema.get("additionalProperties") is False, name
    actions = {op["action"] for op in doc["operations"].values()}
    assert actions <= {"send", "receive"} and actions


def _validator(doc: dict[str, Any], message: str) -> Draft202012Validator:
    root = {**doc, "$ref": f"#/components/messages/{message}/payload"}
    return Draft202012Validator(root)


def test_events_as_published_validate_against_the_documents() -> None:
    doc = service_document("transcribe")
    progress = make_event(
        CallProgressed(call_id="c1", uploader_id="u1", stage="transcribe", percent=40),
        source="transcribe",
        org_id="o1",
        key="c1",
    )
    failed = make_event(
        CallFailed(call_id="c1", uploader_id="u1", stage="transcribe", code="x", reason="y"),
        source="transcribe",
        org_id="o1",
        key="c1",
    )
    _validator(doc, "CallProgressed").validate(json.loads(progress.to_bytes()))
    _validator(doc, "CallFailed").validate(json.loads(failed.to_bytes()))

    wrong = json.loads(progress.to_bytes())
    wrong["data"]["percent"] = 140
    with pytest.raises(ValidationError):
        _validator(doc, "CallProgressed").validate(wrong)
    with pytest.raises(ValidationError):  # a progress event is not a failure
        _validator(doc, "CallFailed").validate(json.loads(progress.to_bytes()))
