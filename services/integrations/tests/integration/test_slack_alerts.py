"""Slack alerts end to end: real broker and database, the real ``slack-sdk`` posting to a
local server that speaks Slack's Web API."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from clashtor_common.events import CallFailed, CallScored
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.waiting import wait_until
from integrations.adapters.tables import SlackAlert
from integrations.context import IntegrationsContext
from integrations.service_layer import fence
from integrations.service_layer.fence import SendingNow
from integrations.service_layer.slack import SENDING

from .conftest import Api, Publisher, lock_waiters
from .slack_stub import SlackStub
from .test_zoom_connection import erase

pytestmark = pytest.mark.slow


async def connected_org(api: Api, slack_stub: SlackStub) -> str:
    org = f"org-{uuid.uuid4().hex[:12]}"
    token = f"xoxb-{uuid.uuid4().hex}"
    slack_stub.tokens.add(token)
    resp = await api.call("PUT", "/internal/slack/connection", org, json={"bot_token": token})
    assert resp.status_code == 204, resp.text
    return org


async def rule(api: Api, org: str, **body: object) -> dict[str, object]:
    resp = await api.call("POST", "/internal/slack/rules", org, json=body)
    assert resp.status_code == 201, resp.text
    created: dict[str, object] = resp.json()
    return created


async def scored(publisher: Publisher, org: str, score: float, trackers: list[str]) -> str:
    call_id = str(uuid.uuid4())
    await publisher.publish(
        CallScored(
            call_id=call_id,
            uploader_id="user-1",
            overall_score=score,
            scorecard="MEDDICC",
            engine="local",
            trackers=trackers,
        ),
        org=org,
        key=org,  # one partition: the events are handled in the order sent
    )
    return call_id


async def test_a_low_score_and_a_competitor_mention_post_block_kit_messages(
    api: Api, publisher: Publisher, slack_stub: SlackStub
) -> None:
    org = await connected_org(api, slack_stub)
    await rule(api, org, kind="score_below", threshold=50, channel="#sales-alerts")
    await rule(api, org, kind="tracker_hit", tracker="Gong", channel="#competition")

    fine = await scored(publisher, org, 82, [])
    low = await scored(publisher, org, 41, ["gong"])
    posted = await wait_until(lambda: len(slack_stub.about(low)) == 2 and slack_stub.about(low))
    by_channel = {p["channel"]: p for p in posted}
    assert set(by_channel) == {"#sales-alerts", "#competition"}
    low_score = by_channel["#sales-alerts"]
    assert low_score["blocks"][0]["text"]["text"] == "A call scored 41, below 50"
    fields = [f["text"] for f in low_score["blocks"][1]["fields"]]
    assert "*Score*\n41" in fields and "*Scorecard*\nMEDDICC" in fields
    button = low_score["blocks"][-1]["elements"][0]
    assert button["url"].endswith(f"/calls/{low}")
    assert by_channel["#competition"]["blocks"][0]["text"]["text"] == "A call mentioned Gong"
    assert slack_stub.about(fine) == []  # the event before it met no rule


async def test_a_failed_call_alerts_where_a_rule_asks_and_a_redelivery_posts_nothing_twice(
    api: Api, publisher: Publisher, slack_stub: SlackStub
) -> None:
    org = await connected_org(api, slack_stub)
    await rule(api, org, kind="call_failed", channel="C0123")
    call_id = str(uuid.uuid4())
    event = await publisher.publish(
        CallFailed(call_id=call_id, stage="transcribe", code="undecodable", reason="bad audio"),
        org=org,
        key=call_id,
    )
    await publisher.send(event)  # redelivered
    later = str(uuid.uuid4())
    await publisher.publish(
        CallFailed(call_id=later, stage="score", code="x", reason="y"), org=org, key=call_id
    )
    await wait_until(lambda: slack_stub.about(later))
    [alert] = slack_stub.about(call_id)
    assert alert["channel"] == "C0123" and "bad audio" in str(alert["blocks"])


async def test_the_connection_status_says_whether_a_token_is_stored_never_the_token(
    api: Api, slack_stub: SlackStub
) -> None:
    org = await connected_org(api, slack_stub)
    status = await api.call("GET", "/internal/slack/connection", org)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["connected"] is True and body["connected_at"]
    assert "xoxb" not in status.text
    assert (await api.call("DELETE", "/internal/slack/connection", org)).status_code == 204
    gone = await api.call("GET", "/internal/slack/connection", org)
    assert gone.json() == {"connected": False, "connected_at": None}
    other = await api.call("GET", "/internal/slack/connection", f"org-{uuid.uuid4().hex[:12]}")
    assert other.json()["connected"] is False


async def test_rules_need_their_parameters_and_the_admin_role(api: Api) -> None:
    org = f"org-{uuid.uuid4().hex[:12]}"
    missing = await api.call(
        "POST", "/internal/slack/rules", org, json={"kind": "score_below", "channel": "#x"}
    )
    assert missing.status_code == 422
    bad_token = await api.call(
        "PUT", "/internal/slack/connection", org, json={"bot_token": "not-a-token"}
    )
    assert bad_token.status_code == 422
    rep = await api.call("GET", "/internal/slack/rules", org, role="rep")
    assert rep.status_code == 403
    assert (await api.call("GET", "/internal/slack/connection", org, role="rep")).status_code == 403
    other = await api.call("DELETE", f"/internal/slack/rules/{uuid.uuid4()}", org)
    assert other.status_code == 404


async def test_an_alert_claimed_before_its_calls_erasure_is_not_posted_after_it(
    api: Api, publisher: Publisher, slack_stub: SlackStub, ctx: IntegrationsContext
) -> None:
    """The notifier posts a batch one alert after the other: a call erased while an
    earlier alert is being posted has its alert dropped, not posted after the erasure;
    the erasure of the call being posted waits for the post's outcome."""
    org = await connected_org(api, slack_stub)
    await rule(api, org, kind="score_below", threshold=50, channel="#sales-alerts")
    await ctx.notifier.stop()  # this test runs the notifier itself
    try:
        posting = await scored(publisher, org, 10, [])
        erased = await scored(publisher, org, 20, [])
        await wait_until(lambda: alerts_of(ctx, org, 2))
        slack_stub.hold, arrived = threading.Event(), slack_stub.arrived
        notifier = asyncio.create_task(ctx.notifier.run_once())
        await wait_until(lambda: slack_stub.arrived > arrived)  # both claimed, one posting
        with pytest.raises(SendingNow):
            await erase(ctx, org, erasure_requested("call", posting))
        done = await erase(ctx, org, erasure_requested("call", erased))
        assert done.removed["slack_alerts"] == 1
    finally:
        if slack_stub.hold is not None:
            slack_stub.hold.set()
        slack_stub.hold = None
        await ctx.notifier.start()
    assert await notifier == 2
    assert len(slack_stub.about(posting)) == 1 and slack_stub.about(erased) == []
    assert (await erase(ctx, org, erasure_requested("call", posting))).removed["slack_alerts"] == 1


async def test_an_alert_handed_over_while_its_call_is_erased_holds_the_erasure(
    api: Api, publisher: Publisher, slack_stub: SlackStub, ctx: IntegrationsContext
) -> None:
    """The erasure's delete waits on the notifier's hand-over (pending -> sending, under
    its row lock) and refuses once that commits: a check of the sending rows before the
    delete would see the alert pending, then delete it while it is being posted."""
    if ctx.db.is_sqlite:
        pytest.skip("SQLite runs one writing transaction at a time: no row locks to wait on")
    org = await connected_org(api, slack_stub)
    await rule(api, org, kind="score_below", threshold=50, channel="#sales-alerts")
    await ctx.notifier.stop()  # this test hands the alert over itself
    try:
        call = await scored(publisher, org, 10, [])
        await wait_until(lambda: alerts_of(ctx, org, 1))
        async with ctx.db.session() as session:
            alert_id = (
                await session.execute(select(SlackAlert.id).where(col(SlackAlert.org_id) == org))
            ).scalar_one()
        async with ctx.db.session() as notifier:  # what fence.hand_over does, held open
            alert = await fence.locked(notifier, SlackAlert, alert_id)
            assert alert is not None and alert.status == fence.PENDING
            alert.status, alert.next_attempt_at = SENDING, datetime.now(UTC) + timedelta(minutes=5)
            await notifier.flush()
            erasure = asyncio.create_task(erase(ctx, org, erasure_requested("call", call)))
            await wait_until(lambda: lock_waiters(ctx, erasure, SlackAlert.__tablename__))
        with pytest.raises(SendingNow):
            await erasure
        # its notifier died mid-post (lease over): the erasure no longer waits for it
        async with ctx.db.session() as session:
            alert = await fence.locked(session, SlackAlert, alert_id)
            assert alert is not None and alert.status == SENDING
            alert.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
        assert (await erase(ctx, org, erasure_requested("call", call))).removed["slack_alerts"] == 1
    finally:
        await ctx.notifier.start()
    assert slack_stub.about(call) == []


async def alerts_of(ctx: IntegrationsContext, org: str, count: int) -> bool:
    async with ctx.db.session() as session:
        found = await session.execute(select(SlackAlert).where(col(SlackAlert.org_id) == org))
        return len(found.all()) == count
