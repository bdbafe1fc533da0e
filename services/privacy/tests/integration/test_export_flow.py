"""Export on the real broker, database and S3: parts in, one bundle out, for the requester only."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from clashtor_common.events import parse_envelope
from clashtor_common.testing.events import new_org
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.waiting import wait_until

from .support import (
    SERVICES,
    PrivacyUnderTest,
    SimulatedServices,
    for_request,
)

AUDIO = b"RIFF....WAVEfmt fake audio bytes \x00\x01\x02"


async def _export(
    privacy: PrivacyUnderTest, org: str, user: str, role: str, subject: dict, audio: bool = False
) -> str:
    resp = await privacy.client.post(
        "/internal/requests/export",
        json={"subject": subject, "include_audio": audio},
        headers=privacy.headers(org, user, role),
    )
    assert resp.status_code == 202, resp.text
    request_id: str = resp.json()["id"]
    return request_id


async def _event_subject(reader: TopicReader, request_id: str) -> dict[str, Any]:
    [raw] = await reader.wait_for_raw(for_request(request_id))
    subject: dict[str, Any] = parse_envelope(raw).data["subject"]
    return subject


async def _finished(privacy: PrivacyUnderTest, org: str, request_id: str, **who: str) -> dict:
    async def done() -> dict | None:
        view = await privacy.get_request(org, request_id, **who)
        return view if view["status"] in ("completed", "failed") else None

    result: dict = await wait_until(done)
    return result


async def _answer_all(
    services: SimulatedServices,
    org: str,
    request_id: str,
    subject: dict,
    marker: str,
    audio: bool = False,
) -> None:
    for service in SERVICES:
        if service == "billing":  # holds nothing about this subject
            await services.export_part(org, request_id, service, subject, [])
            continue
        items = [{"record": f"{service}-record", "note": marker, "n": n} for n in range(2)]
        files = {"call-1.wav": AUDIO} if audio and service == "ingest" else None
        await services.export_part(org, request_id, service, subject, items, files)


async def test_export_bundle_holds_every_part_and_only_the_requester_can_download_it(
    privacy: PrivacyUnderTest, services: SimulatedServices, export_requests: TopicReader
) -> None:
    org = new_org()
    # A rep exports their own data; an admin exports someone else's at the same time.
    mine = await _export(privacy, org, "rep-1", "rep", {"type": "user", "id": "rep-1"}, audio=True)
    other = await _export(privacy, org, "admin-1", "admin", {"type": "user", "id": "rep-2"})
    mine_subject = await _event_subject(export_requests, mine)
    other_subject = await _event_subject(export_requests, other)
    assert mine_subject == {"type": "user", "id": "rep-1", "fingerprint": None}
    await _answer_all(services, org, other, other_subject, "OTHER-SUBJECT-DATA")
    await _answer_all(services, org, mine, mine_subject, "rep-1-data", audio=True)

    view = await _finished(privacy, org, mine, user="rep-1", role="rep")
    assert view["status"] == "completed", view["failure"]
    assert view["download_url"] == f"/internal/requests/{mine}/download"
    assert {a["service"]: a["status"] for a in view["acknowledgements"]} == dict.fromkeys(
        SERVICES, "completed"
    )

    # Only the requester gets a link; an admin of the same org does not.
    resp = await privacy.client.get(
        f"/internal/requests/{mine}/download", headers=privacy.headers(org, "admin-1", "admin")
    )
    assert resp.status_code == 403
    resp = await privacy.client.get(
        f"/internal/requests/{mine}/download", headers=privacy.headers(org, "rep-1", "rep")
    )
    assert resp.status_code == 200, resp.text
    link = resp.json()["url"]
    assert link.startswith("/internal/exports/")

    # The link itself is useless to anyone else.
    stolen = await privacy.client.get(link, headers=privacy.headers(org, "admin-1", "admin"))
    assert stolen.status_code == 403
    resp = await privacy.client.get(link, headers=privacy.headers(org, "rep-1", "rep"))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/zip"
    assert hashlib.sha256(resp.content).hexdigest() == resp.headers["x-content-sha256"]

    bundle = zipfile.ZipFile(io.BytesIO(resp.content))
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["request_id"] == mine
    assert manifest["subject"] == {"type": "user", "id": "rep-1"}
    assert manifest["include_audio"] is True
    parts = {p["service"]: p for p in manifest["parts"]}
    assert set(parts) == {*SERVICES, "privacy"}
    assert parts["billing"]["items"] == 0 and parts["billing"]["file"] is None
    for service in ("ingest", "transcribe", "score", "gateway"):
        entry = parts[service]
        body = bundle.read(entry["file"])
        assert entry["items"] == 2
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        doc = json.loads(body)
        assert doc["subject"] == {"type": "user", "id": "rep-1"}
        assert [i["note"] for i in doc["items"]] == ["rep-1-data"] * 2
    [audio] = parts["ingest"]["files"]
    assert bundle.read(audio["path"]) == AUDIO
    assert audio["sha256"] == hashlib.sha256(AUDIO).hexdigest()
    privacy_part = json.loads(bundle.read(parts["privacy"]["file"]))
    assert {"record": "privacy_request", "id": mine}.items() <= privacy_part["items"][0].items()
    # Nothing of the other subject reached this bundle.
    for name in bundle.namelist():
        assert b"OTHER-SUBJECT-DATA" not in bundle.read(name)
        assert b"rep-2" not in bundle.read(name)

    # The link is short-lived.
    privacy.clock.advance(timedelta(seconds=privacy.settings.download_link_ttl_seconds + 1))
    expired = await privacy.client.get(link, headers=privacy.headers(org, "rep-1", "rep"))
    assert expired.status_code == 403
    assert "expired" in expired.json()["error"]["message"]


async def test_a_part_about_another_subject_fails_the_export(
    privacy: PrivacyUnderTest,
    services: SimulatedServices,
    export_requests: TopicReader,
    outcomes: TopicReader,
) -> None:
    org = new_org()
    request_id = await _export(privacy, org, "admin-1", "admin", {"type": "user", "id": "u-1"})
    subject = await _event_subject(export_requests, request_id)
    wrong = {**subject, "id": "u-somebody-else"}
    for service in SERVICES:
        await services.export_part(
            org, request_id, service, wrong if service == "score" else subject, [{"x": 1}]
        )
    view = await _finished(privacy, org, request_id)
    assert view["status"] == "failed"
    assert view["failure"] == "part from score is about another subject"
    announced = await outcomes.wait_for_data(request_id=request_id)
    assert (announced.data["kind"], announced.data["status"]) == ("export", "failed")
    assert view["download_url"] is None
    resp = await privacy.client.get(
        f"/internal/requests/{request_id}/download", headers=privacy.headers(org)
    )
    assert resp.status_code == 409


async def test_an_export_missing_a_part_fails_after_the_timeout_naming_the_service(
    privacy: PrivacyUnderTest, services: SimulatedServices, export_requests: TopicReader
) -> None:
    org = new_org()
    request_id = await _export(privacy, org, "admin-1", "admin", {"type": "call", "id": "c-1"})
    subject = await _event_subject(export_requests, request_id)
    for service in SERVICES:
        if service != "transcribe":
            await services.export_part(org, request_id, service, subject, [{"x": 1}])

    async def four_in() -> bool:
        view = await privacy.get_request(org, request_id)
        return (
            sum(a["status"] == "completed" for a in view["acknowledgements"]) == len(SERVICES) - 1
        )

    await wait_until(four_in)
    assert (await privacy.get_request(org, request_id))["status"] == "in_progress"
    privacy.clock.advance(timedelta(seconds=privacy.settings.export_timeout_seconds + 1))
    assert (await privacy.scheduler.tick()).exports_failed >= 1
    view = await privacy.get_request(org, request_id)
    assert view["status"] == "failed"
    assert view["failure"] == "export timed out; no part from: transcribe"


async def test_another_organizations_request_is_not_found(privacy: PrivacyUnderTest) -> None:
    org, intruder = new_org(), new_org()
    request_id = await _export(privacy, org, "admin-1", "admin", {"type": "user", "id": "u-1"})
    for path in ("", "/download", "/certificate"):
        resp = await privacy.client.get(
            f"/internal/requests/{request_id}{path}",
            headers=privacy.headers(intruder, "owner-9", "owner"),
        )
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
    listing = await privacy.client.get(
        "/internal/requests", headers=privacy.headers(intruder, "owner-9", "owner")
    )
    assert listing.json()["items"] == []
