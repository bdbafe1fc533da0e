"""Erasure on the real broker, database and S3: fan-out, acknowledgements, re-sends, proof."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from clashtor_common.certificates import CertificateError, load_certificate, verify_certificate
from clashtor_common.crypto import fingerprint
from clashtor_common.events import Envelope, KeptRecord, make_event, parse_envelope
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from clashtor_common.testing.events import call_uploaded, new_org
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.waiting import wait_until
from privacy.adapters.tables import TABLES, RetainedCall, Tombstone
from privacy.domain.certificate import verify

from .support import (
    SERVICES,
    PrivacyUnderTest,
    SimulatedServices,
    for_request,
)

EMAIL = "Jane.Doe@Example.com"


async def _request_erasure(privacy: PrivacyUnderTest, org: str, subject: dict) -> str:
    resp = await privacy.client.post(
        "/internal/requests/erasure",
        json={"subject": subject},
        headers=privacy.headers(org, "officer-1", "compliance"),
    )
    assert resp.status_code == 202, resp.text
    request_id: str = resp.json()["id"]
    return request_id


def _statuses(view: dict) -> dict[str, str]:
    return {a["service"]: a["status"] for a in view["acknowledgements"]}


def _attempts(view: dict) -> dict[str, int]:
    return {a["service"]: a["details"]["attempts"] for a in view["acknowledgements"]}


async def test_erasure_by_email_fans_out_a_fingerprint_and_never_the_email(
    privacy: PrivacyUnderTest, erasure_requests: TopicReader
) -> None:
    org = new_org()
    request_id = await _request_erasure(privacy, org, {"type": "participant", "email": EMAIL})

    [raw] = await erasure_requests.wait_for_raw(for_request(request_id))
    assert b"jane" not in raw.lower() and b"example.com" not in raw.lower()
    event = parse_envelope(raw)
    assert event.org_id == org and event.key == org and event.source == "privacy"
    secret = privacy.settings.fingerprint_secret.get_secret_value()
    assert event.data["subject"] == {
        "type": "participant",
        "id": None,
        "fingerprint": fingerprint(secret, EMAIL),
    }
    assert event.data["services"] is None and event.data["attempt"] == 1

    view = await privacy.get_request(org, request_id, user="officer-1", role="compliance")
    assert view["kind"] == "erasure" and view["status"] == "pending"
    assert view["subject"] == {"type": "participant", "id": None}
    assert _statuses(view) == {**dict.fromkeys(SERVICES, "pending"), "privacy": "completed"}
    assert "jane" not in json.dumps(view).lower()

    # Nothing privacy stored holds the email either.
    async with privacy.app.state.runtime.db.session() as session:
        for table in (*TABLES, OutboxRecord, InboxRecord):
            for row in (await session.execute(select(table))).scalars().all():
                assert "jane" not in repr(row.model_dump()).lower(), table.__tablename__


async def test_erasure_completes_only_when_every_service_answered(
    privacy: PrivacyUnderTest, services: SimulatedServices, outcomes: TopicReader
) -> None:
    org = new_org()
    request_id = await _request_erasure(privacy, org, {"type": "user", "id": "user-42"})
    for service in SERVICES[:-1]:
        await services.erasure_completed(
            org, request_id, service, removed={"calls": 2}, kept=[KeptRecord(what="x", why="y")]
        )

    async def four_answered() -> dict | None:
        # The request row and its acknowledgements are read by separate statements, so
        # under READ COMMITTED one read can see the answers before the status they set.
        view = await privacy.get_request(org, request_id)
        answered = [s for s in _statuses(view).values() if s == "completed"]
        settled = view["status"] != "pending"
        return view if settled and len(answered) == len(SERVICES) else None  # 4 + privacy

    view = await wait_until(four_answered)
    assert view["status"] == "in_progress"
    assert view["completed_at"] is None and view["certificate_digest"] is None
    assert _statuses(view)["gateway"] == "pending"
    ingest = next(a for a in view["acknowledgements"] if a["service"] == "ingest")
    assert ingest["details"]["removed"] == {"calls": 2}
    assert ingest["details"]["kept"] == [{"what": "x", "why": "y"}]
    assert ingest["at"] is not None
    await outcomes.drain()
    assert outcomes.matching(request_id=request_id) == []  # not over yet: nothing announced

    await services.erasure_completed(org, request_id, "gateway", removed={"users": 1})

    async def completed() -> dict | None:
        view = await privacy.get_request(org, request_id)
        return view if view["status"] == "completed" else None

    view = await wait_until(completed)
    assert view["completed_at"] is not None and view["certificate_digest"]
    announced = await outcomes.wait_for_data(request_id=request_id)
    assert announced.org_id == org and announced.data == {
        "request_id": request_id,
        "kind": "erasure",
        "status": "completed",
        "subject_type": "user",
    }  # whom it was about stays in privacy

    resp = await privacy.client.get(
        f"/internal/requests/{request_id}/certificate", headers=privacy.headers(org)
    )
    assert resp.status_code == 200
    cert = resp.json()
    assert cert["digest"] == view["certificate_digest"]
    assert verify(cert["record"], cert["digest"])
    tampered = {**cert["record"], "completed_at": "2000-01-01T00:00:00+00:00"}
    assert not verify(tampered, cert["digest"])
    record = cert["record"]
    assert "user-42" not in json.dumps(record)  # subject only as a keyed hash
    assert record["subject"]["type"] == "user" and len(record["subject"]["hash"]) == 64
    by_service = {a["service"]: a for a in record["acknowledgements"]}
    assert set(by_service) == {*SERVICES, "privacy"}
    assert by_service["gateway"]["removed"] == {"users": 1}

    async with privacy.app.state.runtime.db.session() as session:
        tombstones = (
            (await session.execute(select(Tombstone).where(Tombstone.request_id == request_id)))
            .scalars()
            .all()
        )
    assert [(t.subject_type, t.subject_id, t.org_id) for t in tombstones] == [
        ("user", "user-42", org)
    ]


async def test_a_duplicate_or_late_erasure_completed_changes_nothing(
    privacy: PrivacyUnderTest, services: SimulatedServices
) -> None:
    org = new_org()
    request_id = await _request_erasure(privacy, org, {"type": "call", "id": "call-7"})
    first = {}
    for service in SERVICES:
        first[service] = await services.erasure_completed(
            org, request_id, service, removed={"rows": 3}
        )

    async def completed() -> dict | None:
        view = await privacy.get_request(org, request_id)
        return view if view["status"] == "completed" else None

    before = await wait_until(completed)
    stats = privacy.consumer_stats("erasure-completed")
    duplicates, handled = stats.duplicates, stats.handled

    await services.send("erasure-completed", first["ingest"])  # the very same event again
    await services.erasure_completed(org, request_id, "ingest", removed={"rows": 99})  # a late one
    await wait_until(lambda: stats.duplicates > duplicates and stats.handled > handled)

    after = await privacy.get_request(org, request_id)
    assert after == before
    ingest = next(a for a in after["acknowledgements"] if a["service"] == "ingest")
    assert ingest["details"]["removed"] == {"rows": 3}


async def test_a_silent_service_gets_the_request_again_and_completes_it_when_it_answers(
    privacy: PrivacyUnderTest, services: SimulatedServices, erasure_requests: TopicReader
) -> None:
    org = new_org()
    request_id = await _request_erasure(privacy, org, {"type": "user", "id": "user-9"})
    for service in SERVICES[:-1]:
        await services.erasure_completed(org, request_id, service)

    async def gateway_only_pending() -> bool:
        view = await privacy.get_request(org, request_id)
        return [s for s, v in _statuses(view).items() if v == "pending"] == ["gateway"]

    await wait_until(gateway_only_pending)
    await privacy.scheduler.tick()
    view = await privacy.get_request(org, request_id)
    assert _attempts(view)["gateway"] == 1  # the timeout has not passed yet

    privacy.clock.advance(timedelta(seconds=privacy.settings.erasure_resend_after_seconds + 1))
    assert (await privacy.scheduler.tick()).resent >= 1
    assert (await privacy.scheduler.tick()).resent == 0  # once per timeout, not per tick
    view = await privacy.get_request(org, request_id)
    assert _attempts(view) == {**dict.fromkeys(SERVICES, 1), "gateway": 2, "privacy": 1}

    sent = await erasure_requests.wait_for_raw(for_request(request_id), count=2)
    resend = parse_envelope(sent[-1])
    assert resend.data["services"] == ["gateway"] and resend.data["attempt"] == 2
    assert resend.data["subject"] == {"type": "user", "id": "user-9", "fingerprint": None}
    view = await privacy.get_request(org, request_id)
    assert view["status"] == "in_progress"

    await services.erasure_completed(org, request_id, "gateway")

    async def completed() -> dict | None:
        view = await privacy.get_request(org, request_id)
        return view if view["status"] == "completed" else None

    view = await wait_until(completed)
    gateway = next(a for a in view["acknowledgements"] if a["service"] == "gateway")
    assert gateway["details"]["attempts"] == 2


async def test_the_certificate_is_signed_verifies_offline_and_names_no_one(
    privacy: PrivacyUnderTest, services: SimulatedServices
) -> None:
    org = new_org()
    request_id = await _request_erasure(privacy, org, {"type": "participant", "email": EMAIL})
    kept = [KeptRecord(what="usage ledger rows", why="tax records, 10 years")]
    for service in SERVICES:
        await services.erasure_completed(org, request_id, service, removed={"calls": 1}, kept=kept)

    async def completed() -> dict | None:
        view = await privacy.get_request(org, request_id)
        return view if view["status"] == "completed" else None

    await wait_until(completed)
    resp = await privacy.client.get(
        f"/internal/requests/{request_id}/certificate", headers=privacy.headers(org)
    )
    assert resp.status_code == 200, resp.text
    key = await privacy.client.get("/internal/certificate-key", headers=privacy.headers(org))
    assert key.status_code == 200 and key.json()["algorithm"] == "ed25519"
    assert (await privacy.client.get("/internal/certificate-key")).status_code == 401

    # Saved as a file and checked with only the public key, as an auditor would.
    document = load_certificate(resp.content)
    record = verify_certificate(document, key.json()["public_key"])
    assert document["signature"]["key_id"] == key.json()["key_id"]
    by_service = {a["service"]: a for a in record["acknowledgements"]}
    assert set(by_service) == {*SERVICES, "privacy"}
    assert all(a["status"] == "completed" for a in by_service.values())
    assert by_service["billing"]["kept"] == [
        {"what": "usage ledger rows", "why": "tax records, 10 years"}
    ]
    assert by_service["privacy"]["kept"]  # privacy says what it keeps (ids, keyed hashes)
    text = resp.text.lower()
    secret = privacy.settings.fingerprint_secret.get_secret_value()
    for personal in ("jane", "doe", "example.com", fingerprint(secret, EMAIL)):
        assert personal not in text

    tampered = json.loads(resp.content)
    tampered["record"]["acknowledgements"][0]["removed"] = {"calls": 0}
    with pytest.raises(CertificateError):
        verify_certificate(tampered, key.json()["public_key"])


async def test_a_call_past_its_organizations_retention_is_erased_through_the_fan_out(
    privacy: PrivacyUnderTest, services: SimulatedServices, erasure_requests: TopicReader
) -> None:
    """Last in this module: it moves the shared clock a day on."""
    org = new_org()
    officer = privacy.headers(org, "officer-1", "compliance")
    resp = await privacy.client.put(
        "/internal/retention", json={"call_retention_days": 30}, headers=officer
    )
    assert resp.status_code == 200
    call_id = f"call-{uuid.uuid4().hex[:8]}"
    uploaded = call_uploaded(call_id)
    event = make_event(uploaded, source="ingest", org_id=org)
    await services.send(
        "call-uploaded",
        event.model_copy(update={"time": privacy.clock.now() - timedelta(days=31)}),
    )

    async def remembered() -> RetainedCall | None:
        async with privacy.app.state.runtime.db.session() as session:
            return await session.get(RetainedCall, (org, call_id))

    row = await wait_until(remembered)
    assert row.subjects == [f"call|id:{call_id}", "user|id:rep-1"]

    privacy.clock.advance(timedelta(days=1, seconds=1))  # the daily run is due
    assert (await privacy.scheduler.tick()).retention_erasures >= 1

    def about_the_call(event: Envelope) -> bool:
        return bool(event.data.get("subject", {}).get("id") == call_id)

    [raw] = await erasure_requests.wait_for_raw(about_the_call)
    sent = parse_envelope(raw)
    assert sent.org_id == org and sent.data["requested_by"] == "system:retention"
    request_id = sent.data["request_id"]
    for service in SERVICES:
        await services.erasure_completed(org, request_id, service, removed={"calls": 1})

    async def completed() -> dict | None:
        view = await privacy.get_request(org, request_id, user="officer-1", role="compliance")
        return view if view["status"] == "completed" else None

    view = await wait_until(completed)
    assert set(_statuses(view)) == {*SERVICES, "privacy"}
    audit = (await privacy.client.get("/internal/audit", headers=officer)).json()["items"]
    assert any(
        a["action"] == "retention.erasure_started" and a["request_id"] == request_id for a in audit
    )
