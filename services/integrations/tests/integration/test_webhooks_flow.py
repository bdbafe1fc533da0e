"""Outbound webhooks end to end: real broker, database and S3, a receiver that verifies
every request with the ``standardwebhooks`` library."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from clashtor_common.embedded import free_port
from clashtor_common.events import (
    CallFailed,
    CallScored,
    Envelope,
    ErasureRequested,
    ExportRequested,
    PrivacyRequestCompleted,
    Subject,
)
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.servers import Answer, PostServer
from clashtor_common.testing.waiting import wait_until
from integrations.adapters.tables import WebhookSubscription
from integrations.context import IntegrationsContext

from .conftest import Api, Publisher, ScriptedDns
from .receiver import Receiver

pytestmark = pytest.mark.slow
REFUSED = "refused at commit"


def new_org() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


async def subscribe(
    api: Api, org: str, url: str, events: tuple[str, ...] = ("call.scored",)
) -> dict[str, Any]:
    resp = await api.call(
        "POST", "/internal/webhooks", org, json={"url": url, "event_types": events}
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def rid() -> str:
    return str(uuid.uuid4())


async def asked(
    publisher: Publisher,
    answers: TopicReader,
    request: ErasureRequested | ExportRequested,
    org: str,
    key: str | None = None,
) -> Envelope:
    """Publish a privacy ``request`` (keyed by ``key``, else the org) and wait for
    integrations' one answer to it."""
    await publisher.publish(request, org=org, key=key or org)
    [answer] = await answers.wait_for(lambda e: e.data["request_id"] == request.request_id)
    return answer


async def scored(publisher: Publisher, org: str, score: float = 41.0) -> str:
    call_id = str(uuid.uuid4())
    payload = CallScored(call_id=call_id, uploader_id="user-1", overall_score=score, engine="local")
    await publisher.publish(payload, org=org, key=call_id)
    return call_id


async def deliveries(api: Api, org: str, webhook_id: str) -> list[dict[str, Any]]:
    resp = await api.call("GET", f"/internal/webhooks/{webhook_id}/deliveries", org)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


async def settled(api: Api, org: str, webhook_id: str) -> list[dict[str, Any]]:
    """The delivery log once no delivery is pending (the receiver may have answered
    before the dispatcher wrote the answer down)."""

    async def none_pending() -> list[dict[str, Any]]:
        items = await deliveries(api, org, webhook_id)
        return items if items and all(d["status"] != "pending" for d in items) else []

    result: list[dict[str, Any]] = await wait_until(none_pending, timeout=60)
    return result


async def test_a_scored_call_reaches_the_subscriber_signed(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = new_org()
    hook = await subscribe(api, org, receiver.url, ("call.scored", "call.failed"))
    assert hook["secret"].startswith("whsec_")
    receiver.secrets = [hook["secret"]]
    call_id = await scored(publisher, org, 72.5)

    got = (await wait_until(lambda: receiver.for_subject(call_id), timeout=60))[0]
    assert got.body["type"] == "call.scored"
    assert got.body["data"]["overall_score"] == 72.5
    assert got.body["data"]["url"].endswith(f"/calls/{call_id}")
    [delivery] = await settled(api, org, hook["id"])
    assert delivery["id"] == got.msg_id
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["log"]] == [200]
    listed = (await api.call("GET", "/internal/webhooks", org)).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]


async def test_a_completed_privacy_request_reaches_its_subscribers_only(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = new_org()
    wanted = await subscribe(api, org, receiver.url, ("privacy.request.completed",))
    await subscribe(api, org, receiver.url + "/calls-only", ("call.scored",))
    receiver.secrets = [wanted["secret"]]
    request_id = str(uuid.uuid4())
    done = PrivacyRequestCompleted(
        request_id=request_id, kind="erasure", status="completed", subject_type="user"
    )
    await publisher.publish(done, org=org, key=request_id)

    def arrived() -> list[Any]:
        return [r for r in receiver.accepted if r.body["data"].get("request_id") == request_id]

    [got] = await wait_until(arrived, timeout=60)
    assert got.body["type"] == "privacy.request.completed"
    assert got.body["data"] == {
        "request_id": request_id,
        "kind": "erasure",
        "status": "completed",
        "subject_type": "user",
    }
    [delivery] = await settled(api, org, wanted["id"])
    assert delivery["status"] == "delivered" and delivery["id"] == got.msg_id


async def test_a_receiver_down_for_a_while_gets_the_event_once_when_back(
    api: Api, publisher: Publisher, ctx: IntegrationsContext
) -> None:
    org = new_org()
    receiver = Receiver(free_port())  # not listening yet: connections are refused
    hook = await subscribe(api, org, receiver.url)
    receiver.secrets = [hook["secret"]]
    call_id = await scored(publisher, org)

    async def failed_twice() -> bool:
        items = await deliveries(api, org, hook["id"])
        return bool(items) and len(items[0]["log"]) >= 2

    await wait_until(failed_twice, timeout=60)
    [pending] = await deliveries(api, org, hook["id"])
    assert pending["status"] == "pending" and pending["next_attempt_at"]
    assert all(a["status_code"] is None and a["error"] for a in pending["log"])

    receiver.start()
    try:
        await wait_until(lambda: receiver.for_subject(call_id), timeout=60)
        [done] = await settled(api, org, hook["id"])
        assert done["status"] == "delivered"
        assert done["log"][-1]["status_code"] == 200
        await ctx.dispatcher.run_until_idle()  # nothing is still due for it
        assert len(receiver.for_subject(call_id)) == 1
    finally:
        receiver.stop()


async def test_the_same_event_twice_is_delivered_once(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = new_org()
    hook = await subscribe(api, org, receiver.url, ("call.failed",))
    receiver.secrets = [hook["secret"]]
    first_call = str(uuid.uuid4())
    event = await publisher.publish(
        CallFailed(call_id=first_call, stage="transcribe", code="undecodable", reason="bad audio"),
        org=org,
        key=first_call,
    )
    await publisher.send(event)  # the broker redelivers it
    later_call = str(uuid.uuid4())
    await publisher.publish(
        CallFailed(call_id=later_call, stage="score", code="x", reason="y"), org=org, key=first_call
    )
    await wait_until(lambda: receiver.for_subject(later_call), timeout=60)
    assert len(receiver.for_subject(first_call)) == 1
    assert len(await deliveries(api, org, hook["id"])) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://127.0.0.2:8080/hook",  # loopback, outside the allow-list
        "http://[::1]/hook",
        "http://[::ffff:169.254.169.254]/",
        "http://internal.example/hook",  # a name for a private address
        "http://metadata.example/latest/meta-data/",  # a name for the metadata address
        "http://loopback.example:8080/hook",  # a name for loopback (not allow-listed)
        "http://v6-loopback.example/hook",
        "http://v6-link-local.example/hook",
        "http://0.0.0.0:80/",
        "ftp://example.com/hook",
    ],
)
async def test_ssrf_targets_are_refused_at_subscription(
    api: Api, dns: ScriptedDns, url: str
) -> None:
    dns.script("internal.example", ["192.168.1.10"])
    dns.script("metadata.example", ["169.254.169.254"])
    dns.script("loopback.example", ["127.0.0.2"])
    dns.script("v6-loopback.example", ["::1"])
    dns.script("v6-link-local.example", ["fe80::1"])
    org = new_org()
    resp = await api.call(
        "POST", "/internal/webhooks", org, json={"url": url, "event_types": ["call.scored"]}
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "target_refused"
    assert (await api.call("GET", "/internal/webhooks", org)).json()["items"] == []


async def test_a_name_that_rebinds_to_a_private_address_is_refused_at_delivery(
    api: Api, publisher: Publisher, dns: ScriptedDns
) -> None:
    dns.script("rebind.example", ["93.184.216.34"], ["10.0.0.5"])
    org = new_org()
    hook = await subscribe(api, org, "http://rebind.example/hook")
    await scored(publisher, org)

    async def attempted() -> list[dict[str, Any]]:
        items = await deliveries(api, org, hook["id"])
        return items if items and items[0]["log"] else []

    [delivery] = await wait_until(attempted, timeout=60)
    attempt = delivery["log"][0]
    assert attempt["status_code"] is None
    assert "refused" in attempt["error"] and "10.0.0.5" in attempt["error"]


async def test_a_redirect_is_not_followed_even_to_an_allowed_address(
    api: Api, publisher: Publisher
) -> None:
    """A 3xx could point at the metadata service or anything inside; the sender never
    follows one (here it points at a server the allow-list would let through)."""
    reached: list[str] = []

    def inside(path: str, _headers: dict[str, str], _body: bytes) -> Answer:
        reached.append(path)
        return 200, {}, b""

    internal = PostServer(inside)
    internal_url = f"http://127.0.0.1:{internal.start()}/admin"

    def redirecting(_path: str, _headers: dict[str, str], _body: bytes) -> Answer:
        return 307, {"location": internal_url}, b""

    redirector = PostServer(redirecting)
    try:
        org = new_org()
        hook = await subscribe(api, org, f"http://127.0.0.1:{redirector.start()}/hooks")
        await scored(publisher, org)

        async def answered() -> list[dict[str, Any]]:
            items = await deliveries(api, org, hook["id"])
            return items if items and items[0]["log"] else []

        [delivery] = await wait_until(answered, timeout=60)
        assert delivery["status"] == "pending", "a redirect is no delivery: tried again later"
        attempt = delivery["log"][0]
        assert attempt["status_code"] == 307 and attempt["error"] == "not a 2xx answer"
        assert reached == []
        gone = await api.call("DELETE", f"/internal/webhooks/{hook['id']}", org)
        assert gone.status_code == 204
    finally:
        redirector.stop()
        internal.stop()


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_grace_period(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = new_org()
    hook = await subscribe(api, org, receiver.url)
    rotated = await api.call("POST", f"/internal/webhooks/{hook['id']}/rotate-secret", org)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != hook["secret"]

    receiver.secrets = [hook["secret"]]  # a receiver not yet switched over
    old_side = await scored(publisher, org)
    got = (await wait_until(lambda: receiver.for_subject(old_side), timeout=60))[0]
    assert got.signature.count("v1,") == 2
    receiver.secrets = [new_secret]  # and one that has switched
    new_side = await scored(publisher, org)
    await wait_until(lambda: receiver.for_subject(new_side), timeout=60)
    assert receiver.rejected == 0


async def test_manual_redelivery_sends_the_same_webhook_id_again(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = new_org()
    hook = await subscribe(api, org, receiver.url)
    receiver.secrets = [hook["secret"]]
    call_id = await scored(publisher, org)
    first = (await wait_until(lambda: receiver.for_subject(call_id), timeout=60))[0]
    await settled(api, org, hook["id"])
    resp = await api.call(
        "POST", f"/internal/webhooks/{hook['id']}/deliveries/{first.msg_id}/redeliver", org
    )
    assert resp.status_code == 202, resp.text
    again = await wait_until(lambda: receiver.for_subject(call_id)[1:], timeout=60)
    assert again[0].msg_id == first.msg_id
    [delivery] = await settled(api, org, hook["id"])
    assert [a["manual"] for a in delivery["log"]] == [False, True]

    # The delivery id through a webhook of another organization, or another webhook of
    # the same one, is no delivery of that webhook: 404, nothing sent.
    other_org = new_org()
    theirs = await subscribe(api, other_org, receiver.url)
    sibling = await subscribe(api, org, receiver.url)
    for who, webhook in ((other_org, theirs), (org, sibling)):
        path = f"/internal/webhooks/{webhook['id']}/deliveries/{first.msg_id}/redeliver"
        resp = await api.call("POST", path, who)
        assert resp.status_code == 404, resp.text
    [delivery] = await settled(api, org, hook["id"])
    assert len(delivery["log"]) == 2 and len(receiver.for_subject(call_id)) == 2


async def test_only_admins_of_the_organization_reach_its_webhooks(
    api: Api, receiver: Receiver
) -> None:
    org, other = new_org(), new_org()
    hook = await subscribe(api, org, receiver.url)
    rep = await api.call("GET", "/internal/webhooks", org, role="rep")
    assert rep.status_code == 403
    for method, path in [
        ("GET", f"/internal/webhooks/{hook['id']}"),
        ("PATCH", f"/internal/webhooks/{hook['id']}"),
        ("DELETE", f"/internal/webhooks/{hook['id']}"),
        ("POST", f"/internal/webhooks/{hook['id']}/rotate-secret"),
        ("GET", f"/internal/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/internal/webhooks/{hook['id']}/deliveries/msg_x/redeliver"),
    ]:
        kwargs = {"json": {"enabled": False}} if method == "PATCH" else {}
        resp = await api.call(method, path, other, **kwargs)
        assert resp.status_code == 404, (method, path, resp.text)
    assert (await api.call("GET", f"/internal/webhooks/{hook['id']}", org)).status_code == 200


async def test_one_webhooks_routes_refuse_a_rep_and_apply_an_admins_change(
    api: Api, receiver: Receiver
) -> None:
    """The routes under ``/internal/webhooks/{id}`` read the webhook through one
    dependency: a rep of its own organization is refused on each, nothing changes; an
    admin's update and delete are stored."""
    org = new_org()
    hook = await subscribe(api, org, receiver.url)
    one = f"/internal/webhooks/{hook['id']}"
    for method, path in [
        ("GET", one),
        ("PATCH", one),
        ("DELETE", one),
        ("POST", f"{one}/rotate-secret"),
        ("GET", f"{one}/deliveries"),
        ("POST", f"{one}/deliveries/msg_x/redeliver"),
    ]:
        kwargs = {"json": {"enabled": False}} if method == "PATCH" else {}
        resp = await api.call(method, path, org, role="rep", **kwargs)
        assert resp.status_code == 403, (method, path, resp.text)
    assert (await api.call("GET", one, org)).json()["enabled"] is True

    paused = await api.call("PATCH", one, org, json={"enabled": False})
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    assert (await api.call("GET", one, org)).json()["enabled"] is False
    assert (await api.call("DELETE", one, org)).status_code == 204
    assert (await api.call("GET", one, org)).status_code == 404


async def test_a_webhook_is_answered_created_only_once_it_is_stored(api: Api) -> None:
    """The database refusing the commit is an error answer, never a 201 with a secret for
    a subscription that was not kept (nor a 2xx a client could read past)."""

    def mark(session: Session, _flush: object) -> None:
        if any(
            isinstance(o, WebhookSubscription) and o.description == REFUSED for o in session.new
        ):
            session.info[REFUSED] = True

    def refuse(session: Session) -> None:
        if session.info.pop(REFUSED, False):
            raise OperationalError("COMMIT", {}, Exception("the database refused the commit"))

    org = new_org()
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["call.scored"]}
    event.listen(Session, "after_flush", mark)
    event.listen(Session, "before_commit", refuse)
    try:
        resp = await api.call(
            "POST", "/internal/webhooks", org, json=body | {"description": REFUSED}
        )
    finally:
        event.remove(Session, "after_flush", mark)
        event.remove(Session, "before_commit", refuse)
    assert resp.status_code >= 500, resp.text
    assert "whsec_" not in resp.text
    assert (await api.call("GET", "/internal/webhooks", org)).json()["items"] == []


async def test_bad_input_is_a_clear_4xx(api: Api, receiver: Receiver) -> None:
    org = new_org()
    unknown = await api.call(
        "POST", "/internal/webhooks", org, json={"url": receiver.url, "event_types": ["call.x"]}
    )
    assert unknown.status_code == 422
    extra = await api.call(
        "POST",
        "/internal/webhooks",
        org,
        json={"url": receiver.url, "event_types": ["call.scored"], "secret": "mine"},
    )
    assert extra.status_code == 422
    for path in ("/internal/webhooks", "/internal/slack/rules"):
        cursor = await api.call("GET", path, org, params={"cursor": "%%%"})
        assert cursor.status_code == 422, (path, cursor.text)
        assert cursor.json()["error"]["code"] == "validation_error"
        assert [(e["field"], e["location"]) for e in cursor.json()["error"]["errors"]] == [
            ("cursor", "query")
        ]


async def test_webhooks_and_slack_rules_are_listed_a_page_at_a_time(
    api: Api, receiver: Receiver
) -> None:
    org = new_org()
    hooks = [(await subscribe(api, org, receiver.url))["id"] for _ in range(3)]
    rules = []
    for n in range(3):
        body = {"kind": "call_failed", "channel": f"#c{n}"}
        made = await api.call("POST", "/internal/slack/rules", org, json=body)
        assert made.status_code == 201, made.text
        rules.append(made.json()["id"])

    for path, made in (("/internal/webhooks", hooks), ("/internal/slack/rules", rules)):
        first = (await api.call("GET", path, org, params={"limit": 2})).json()
        second = await api.call(
            "GET", path, org, params={"limit": 2, "cursor": first["next_cursor"]}
        )
        assert [i["id"] for i in first["items"]] == made[:2], path
        assert [i["id"] for i in second.json()["items"]] == made[2:], path
        assert second.json()["next_cursor"] is None, path


async def test_past_the_limit_a_new_webhook_is_a_conflict(
    api: Api, receiver: Receiver, ctx: IntegrationsContext
) -> None:
    """The limit is a rule of the service layer (a ``Conflict``); the edge makes it 409."""
    org = new_org()
    body = {"url": receiver.url, "event_types": ["call.scored"]}
    limit = ctx.settings.webhook_max_subscriptions
    ctx.settings.webhook_max_subscriptions = 1
    try:
        assert (await api.call("POST", "/internal/webhooks", org, json=body)).status_code == 201
        second = await api.call("POST", "/internal/webhooks", org, json=body)
    finally:
        ctx.settings.webhook_max_subscriptions = limit
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "too_many_webhooks"


async def test_erasing_a_call_removes_its_deliveries_and_an_org_its_webhooks(
    api: Api, publisher: Publisher, receiver: Receiver, erasures: TopicReader, exports: TopicReader
) -> None:
    org = new_org()
    hook = await subscribe(api, org, receiver.url)
    receiver.secrets = [hook["secret"]]
    kept, erased = await scored(publisher, org), await scored(publisher, org)
    await wait_until(lambda: receiver.for_subject(kept) and receiver.for_subject(erased), 60)

    org_subject = Subject(type="organization", id=org)
    part = await asked(
        publisher, exports, ExportRequested(request_id=rid(), subject=org_subject), org
    )
    assert part.data["items"] == 3 and part.data["part"]  # a webhook and two deliveries

    done = await asked(publisher, erasures, erasure_requested("call", erased), org, erased)
    assert done.data["service"] == "integrations"
    assert done.data["removed"] == {"webhook_deliveries": 1, "slack_alerts": 0, "zoom_imports": 0}
    remaining = await deliveries(api, org, hook["id"])
    assert all(erased not in d["id"] for d in remaining) and len(remaining) == 1

    gone = await asked(publisher, erasures, erasure_requested(org_subject), org)
    assert gone.data["removed"]["webhooks"] == 1
    assert (await api.call("GET", f"/internal/webhooks/{hook['id']}", org)).status_code == 404
