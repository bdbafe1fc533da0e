"""Export parts are checked against their request; the bundle's manifest matches its files."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from privacy.domain.export_bundle import InvalidPart, Part, build_bundle, parse_part
from privacy.domain.subjects import SubjectRef

SUBJECT = SubjectRef(type="participant", id=None, fingerprint="ab" * 32)


def doc(**overrides: object) -> bytes:
    base: dict[str, object] = {
        "service": "ingest",
        "request_id": "r-1",
        "subject": {"type": "participant", "id": None, "fingerprint": "ab" * 32},
        "items": [{"call_id": "c-1"}],
        "files": {"c-1.wav": base64.b64encode(b"audio").decode()},
    }
    base.update(overrides)
    return json.dumps(base).encode()


def parse(raw: bytes) -> Part:
    return parse_part(raw, service="ingest", request_id="r-1", subject=SUBJECT)


def test_a_valid_part_is_read_with_its_files() -> None:
    part = parse(doc())
    assert part.items == [{"call_id": "c-1"}]
    assert part.files == {"c-1.wav": b"audio"}


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b"\x00not json", "is not JSON"),
        (doc(items="nope"), "breaks the format at: items"),
        (doc(service="billing"), "names another service"),
        (doc(request_id="r-2"), "belongs to another request"),
        (
            doc(subject={"type": "participant", "id": None, "fingerprint": "cd" * 32}),
            "another subject",
        ),
        (doc(subject={"type": "user", "id": None, "fingerprint": "ab" * 32}), "another subject"),
        (doc(files={"../../etc/passwd": "AA=="}), "not a flat name"),
        (doc(files={"a.wav": "%%%"}), "not base64"),
    ],
)
def test_a_part_that_breaks_the_contract_is_refused(raw: bytes, rule: str) -> None:
    with pytest.raises(InvalidPart, match=rule):
        parse(raw)


def test_the_manifest_lists_every_part_with_counts_and_digests_of_its_files() -> None:
    parts = [
        Part("transcribe", [{"t": 1}, {"t": 2}]),
        Part("billing", []),
        Part("ingest", [{"call_id": "c-1"}], {"c-1.wav": b"audio"}),
    ]
    data, manifest = build_bundle(
        request_id="r-1",
        subject=SubjectRef(type="user", id="u-1"),
        generated_at=datetime(2030, 1, 1, tzinfo=UTC),
        include_audio=True,
        parts=parts,
    )
    bundle = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(bundle.read("manifest.json")) == manifest
    assert [p["service"] for p in manifest["parts"]] == ["billing", "ingest", "transcribe"]
    billing, ingest, transcribe = manifest["parts"]
    assert billing["file"] is None and billing["items"] == 0
    assert transcribe["items"] == 2
    for entry in (ingest, transcribe):
        body = bundle.read(entry["file"])
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert json.loads(body)["subject"] == {"type": "user", "id": "u-1"}
    [audio] = ingest["files"]
    assert bundle.read(audio["path"]) == b"audio" and audio["path"] == "files/ingest/c-1.wav"
    assert sorted(bundle.namelist()) == [
        "files/ingest/c-1.wav",
        "ingest.json",
        "manifest.json",
        "transcribe.json",
    ]
