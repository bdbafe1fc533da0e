"""The envelope is validated on both ends; unknown types and versions are refused."""

from __future__ import annotations

import json

import pytest

from clashtor_common.crypto import DataKey, Keyring
from clashtor_common.datakeys import key_for_event
from clashtor_common.events import (
    PAYLOADS,
    CallUploaded,
    InvalidEvent,
    ObjectRef,
    ParticipantRef,
    Topic,
    json_schemas,
    make_event,
    parse_envelope,
)
from clashtor_common.testing.events import call_transcribed


def uploaded() -> CallUploaded:
    return CallUploaded(
        call_id="c1",
        uploader_id="u1",
        audio=ObjectRef(bucket="clashtor-ingest", key="orgs/o1/calls/c1/audio.wav.enc"),
        audio_format="wav",
        duration=12.5,
        channels=2,
        sample_rate=16000,
        size_bytes=10,
        participants=[ParticipantRef(participant_id="p1", role="rep", fingerprint="ab")],
    )


def test_round_trip_keeps_the_typed_payload() -> None:
    env = make_event(uploaded(), source="ingest", org_id="o1", key="c1", trace={})
    back = parse_envelope(env.to_bytes())
    assert back == env
    assert back.payload() == uploaded()
    assert back.type == Topic.CALL_UPLOADED


def test_every_event_type_has_a_topic_and_a_json_schema() -> None:
    schemas = json_schemas()
    for payload in PAYLOADS:
        assert payload.event_type in {t.value for t in Topic}
        assert f"{payload.event_type}.v{payload.event_version}" in schemas


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(version=9), "v9"),
        (lambda d: d.update(type="call-exploded"), "unknown event type"),
        (lambda d: d["data"].pop("call_id"), "call_id"),
        (lambda d: d["data"].update(surprise=1), "surprise"),
        (lambda d: d.pop("org_id"), "org_id"),
    ],
    ids=["unknown-version", "unknown-type", "missing-field", "extra-field", "no-org"],
)
def test_invalid_events_are_refused_with_a_clear_reason(mutate, message: str) -> None:
    data = json.loads(make_event(uploaded(), source="t", org_id="o", trace={}).to_bytes())
    mutate(data)
    with pytest.raises(InvalidEvent, match=message):
        parse_envelope(json.dumps(data).encode())


def test_garbage_is_refused() -> None:
    with pytest.raises(InvalidEvent):
        parse_envelope(b"\x00\xffnot json")


def _fields(schema: dict[str, object]) -> set[str]:
    """Every property name anywhere in a JSON Schema (nested definitions included)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                found.update(props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_no_event_carries_an_address_only_object_references() -> None:
    """Addresses change (S3 moves to another port on restart, links expire); keys do not."""
    for name, schema in json_schemas().items():
        urls = {f for f in _fields(schema) if f.endswith("_url") or f.endswith("url")}
        assert urls == set(), f"{name} carries an address: {sorted(urls)}"
    assert {"bucket", "key"} <= _fields(json_schemas()["call-uploaded.v3"])


def test_a_version_1_event_with_a_presigned_link_is_refused_as_unknown() -> None:
    raw = json.loads(make_event(uploaded(), source="ingest", org_id="o1", trace={}).to_bytes())
    raw["version"] = 1
    raw["data"].pop("audio")
    raw["data"]["audio_url"] = "http://127.0.0.1:8333/clashtor-ingest/x?X-Amz-Signature=1"
    with pytest.raises(InvalidEvent, match=r"known versions \[2, 3, 4\]"):
        parse_envelope(json.dumps(raw))


def test_payload_as_gives_the_typed_payload_and_refuses_another_type_as_poison() -> None:
    from clashtor_common.events import ErasureRequested
    from clashtor_common.failures import PermanentError

    event = make_event(uploaded(), source="ingest", org_id="o1")
    assert event.payload_as(CallUploaded).call_id == "c1"
    with pytest.raises(PermanentError, match="CallUploaded, not ErasureRequested"):
        event.payload_as(ErasureRequested)


def test_older_versions_are_read_as_the_current_model() -> None:
    from clashtor_common.events import CallFailed, CallScored, Envelope

    def v1(event_type: str, **data: str) -> Envelope:
        return Envelope(type=event_type, version=1, source="s", org_id="o", key="c", data=data)

    scored = v1("call-scored", call_id="c", uploader_id="u", engine="local").payload()
    assert isinstance(scored, CallScored) and scored.trackers == []
    failed = v1("call-failed", call_id="c", stage="score", code="x", reason="y").payload()
    assert isinstance(failed, CallFailed) and failed.uploader_id is None


def test_a_version_2_upload_still_reads_as_one_without_the_audio_key() -> None:
    raw = json.loads(make_event(uploaded(), source="ingest", org_id="o1", trace={}).to_bytes())
    raw["version"] = 2
    raw["data"].pop("audio_key_id", None)
    payload = parse_envelope(json.dumps(raw)).payload()
    assert isinstance(payload, CallUploaded) and payload.audio_key_id is None


@pytest.mark.parametrize(
    ("event_type", "key_field"),
    [("call-uploaded", "audio_key"), ("call-transcribed", "transcript_key")],
)
def test_a_version_3_event_reads_as_version_4_naming_its_key_without_the_key_material(
    event_type: str, key_field: str
) -> None:
    """v3 carried the data key wrapped by the master key; read now, only its id is kept,
    so a replayed v3 event is opened only through the producer, which erasure answers 410."""
    keyring = Keyring.from_config(f"k1:{Keyring.generate_key()}")
    wrapped = key_for_event(keyring, DataKey.generate("call:c1")).model_dump()
    payload = uploaded() if event_type == "call-uploaded" else call_transcribed("c1")
    raw = json.loads(make_event(payload, source="s", org_id="o1", trace={}).to_bytes())
    raw["version"] = 3
    raw["data"].pop(f"{key_field}_id", None)
    raw["data"][key_field] = wrapped
    read = parse_envelope(json.dumps(raw)).payload()
    assert type(read) is type(payload) and read.event_version == 4
    assert getattr(read, f"{key_field}_id") == "call:c1"
    assert wrapped["wrapped"] not in read.model_dump_json()


def test_a_batch_is_parsed_at_once_and_only_its_bad_messages_refused() -> None:
    from clashtor_common.events import CallFailed, Envelope, parse_envelopes

    good = make_event(uploaded(), source="ingest", org_id="o1", trace={})
    old = Envelope(
        type="call-failed",
        version=1,
        source="s",
        org_id="o",
        key="c",
        data={"call_id": "c", "stage": "score", "code": "x", "reason": "y"},
    )
    unknown = json.dumps({**json.loads(good.to_bytes()), "version": 99}).encode()
    bad_payload = json.loads(good.to_bytes())
    bad_payload["data"]["duration"] = "long"
    batch = [good.to_bytes(), b"not json", old.to_bytes(), unknown, json.dumps(bad_payload)]

    parsed = parse_envelopes([raw.encode() if isinstance(raw, str) else raw for raw in batch])

    assert parsed[0] == good and parsed[0].payload() == uploaded()
    assert isinstance(parsed[1], InvalidEvent)
    assert isinstance(parsed[2], Envelope) and isinstance(parsed[2].payload(), CallFailed)
    assert isinstance(parsed[3], InvalidEvent) and "known versions" in str(parsed[3])
    assert isinstance(parsed[4], InvalidEvent) and "payload invalid" in str(parsed[4])
    all_good = parse_envelopes([good.to_bytes(), old.to_bytes()])
    assert all_good == [good, old]
    assert isinstance(all_good[1], Envelope)
    assert all_good[1].payload().uploader_id is None  # type: ignore[attr-defined]  # upcast
