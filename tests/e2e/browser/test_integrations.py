"""Settings → Integrations in Chromium against the whole running system.

An admin connects Zoom through the local Zoom's OAuth consent and sees the connection
and a recording that could not be imported; subscribes a local receiver (allow-listed
loopback) to privacy requests and sees the signed delivery land with its response code,
redelivers it, and rotates the secret, after which the receiver verifies with the new
one; stores a Slack bot token (never shown again) and keeps alert rules; a rep does not
see the tab, and the API refuses them. Every state is checked with axe-core.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from standardwebhooks import Webhook, WebhookVerificationError

from clashtor_common.embedded import free_port
from clashtor_common.testing.servers import Answer, PostStub, running

from ..client import Clashtor
from ..stack import Stack
from .support import Watched, browser_page, join, log_in


@dataclass
class Receiver(PostStub):
    """A webhook receiver on 127.0.0.1 that verifies every request with the
    ``standardwebhooks`` library under ``secret`` (200 when it holds, 401 otherwise)."""

    secret: str = ""
    port: int = field(default_factory=free_port)
    seen: list[tuple[str, bool, dict[str, Any]]] = field(default_factory=list)
    """(webhook-id, verified, body) of every request, in order."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/clashtor"

    def respond(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        try:
            Webhook(self.secret).verify(raw, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        self.seen.append((headers.get("webhook-id", ""), verified, json.loads(raw)))
        return (200 if verified else 401), {}, b""


@pytest.fixture(scope="module")
def page(stack: Stack) -> Iterator[Page]:
    with browser_page(stack.gateway) as opened:
        yield opened


@pytest.fixture(scope="module")
def owner(stack: Stack) -> Iterator[tuple[Clashtor, str]]:
    client = Clashtor(stack.gateway)
    email = client.signup(organization="Integrations Test Inc")["user"]["email"]
    yield client, email
    client.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running(Receiver()) as endpoint:
        yield endpoint


def integrations_region(page: Page, owner: tuple[Clashtor, str], name: str) -> Locator:
    """The ``name`` region of the owner's integrations page, logging in unless already there."""
    if "/settings/integrations" not in page.url:
        log_in(page, owner[1], "/settings/integrations")
    return page.get_by_role("region", name=name)


def test_an_admin_connects_zoom_through_its_consent_and_sees_a_failed_import(
    page: Page, stack: Stack, zoom_stub: Any, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    client, email = owner
    account = f"acct-{uuid.uuid4().hex[:10]}"
    zoom_stub.add_user(email, account_id=account)  # the local Zoom consents as this user
    log_in(page, email, "/settings/integrations")
    zoom = page.get_by_role("region", name="Zoom")
    expect(zoom.get_by_test_id("zoom-status")).to_have_text("Not connected.")
    web.check("60-integrations")

    # gateway → Zoom's consent → gateway's callback → back here, told how it went
    zoom.get_by_role("link", name="Connect Zoom").click()
    expect(page).to_have_url(re.compile(r"/settings/integrations\?zoom=connected$"))
    expect(zoom.get_by_role("status").filter(has_text="Zoom is connected")).to_be_visible()
    expect(zoom.get_by_test_id("zoom-status")).to_contain_text(
        f"Connected with OAuth (an admin's consent) to the Zoom account {account}"
    )
    expect(zoom.get_by_text("No recording yet")).to_be_visible()

    # Zoom announces a meeting whose host has no account here: a visible failure
    stranger = zoom_stub.add_user(
        f"stranger-{uuid.uuid4().hex[:6]}@elsewhere.example", account_id=account
    )
    meeting = zoom_stub.add_meeting(stranger, b"audio", topic="Nobody we know", guests=[])
    body = zoom_stub.recording_completed(meeting)
    sent = httpx.post(
        f"{stack.gateway}/webhooks/zoom", content=body, headers=zoom_stub.signed(body)
    )
    assert sent.status_code == 204, sent.text
    page.reload()
    row = zoom.get_by_role("row").filter(has_text="Nobody we know")
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("no Clashtor account")
    web.check("61-integrations-zoom-connected")

    # disconnecting asks first
    zoom.get_by_role("button", name="Dismiss").click()
    zoom.get_by_role("button", name="Disconnect Zoom").click()
    expect(zoom.get_by_role("button", name="Keep it")).to_be_focused()
    zoom.get_by_role("button", name="Yes, disconnect Zoom").click()
    expect(zoom.get_by_test_id("zoom-status")).to_have_text("Not connected.")
    assert (
        client.http.get("/v1/integrations/zoom", headers=client.bearer).json()["connected"] is False
    )
    assert web.problems == []


def test_a_webhook_is_delivered_signed_redelivered_and_its_secret_rotated(
    page: Page, owner: tuple[Clashtor, str], receiver: Receiver
) -> None:
    web = Watched(page)
    hooks = integrations_region(page, owner, "Webhooks")
    # a private address is refused beside the URL, and nothing is listed
    url = hooks.get_by_label("Endpoint URL")
    url.fill("http://10.0.0.1/hook")
    hooks.get_by_role("button", name="Add webhook").click()
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(hooks.get_by_text("No webhook yet.")).to_be_visible()
    url.fill(receiver.url)
    hooks.get_by_role("checkbox", name=re.compile(r"^call\.scored")).uncheck()
    hooks.get_by_role("checkbox", name=re.compile(r"^privacy\.request\.completed")).check()
    hooks.get_by_label("Description").fill("Local receiver")
    hooks.get_by_role("button", name="Add webhook").click()
    secret = hooks.get_by_test_id("new-webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    receiver.secret = secret
    web.check("62-integrations-webhook-secret")

    # an event the webhook is subscribed to: a privacy request that completes
    client, _ = owner
    request_id = client.privacy("export", {"type": "participant", "email": "nobody@buyer.example"})
    assert client.wait_for_request(request_id)["status"] == "completed"

    item = hooks.get_by_role("article", name=receiver.url)
    item.get_by_role("button", name=f"Delivery log of {receiver.url}").click()
    log = item.get_by_role("region", name=f"Deliveries to {receiver.url}")
    # the log refreshes itself: the delivery appears with the receiver's answer
    expect(log.get_by_test_id("delivery-response")).to_have_text("200", timeout=60_000)
    row = log.get_by_role("row").filter(has_text="privacy.request.completed")
    expect(row).to_contain_text("Delivered")
    first_id, verified, event = receiver.seen[0]
    assert verified and event["type"] == "privacy.request.completed"
    assert event["data"]["request_id"] == request_id
    expect(row).to_contain_text(first_id)
    web.check("63-integrations-delivery-log")

    # sent again by hand: the same webhook-id, a second (manual) attempt in the log
    log.get_by_role("button", name=f"Redeliver privacy.request.completed {first_id}").click()
    expect(row.locator("summary")).to_have_text("2", timeout=30_000)
    assert [(i, ok) for i, ok, _ in receiver.seen] == [(first_id, True)] * 2

    # a new secret, shown once; the receiver switches to it and still verifies
    item.get_by_role("button", name=f"Rotate secret of {receiver.url}").click()
    rotated = item.get_by_test_id("rotated-webhook-secret").inner_text().strip()
    assert rotated.startswith("whsec_") and rotated != secret
    receiver.secret = rotated
    log.get_by_role("button", name=f"Redeliver privacy.request.completed {first_id}").click()
    expect(row.locator("summary")).to_have_text("3", timeout=30_000)
    assert receiver.seen[-1][:2] == (first_id, True)
    web.check("64-integrations-rotated")

    page.reload()
    expect(page.get_by_test_id("new-webhook-secret")).to_have_count(0)
    assert secret not in page.content() and rotated not in page.content()
    assert web.problems == []


def test_slack_is_connected_with_a_write_only_token_and_rules_are_kept(
    page: Page, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    slack = integrations_region(page, owner, "Slack")
    token = f"xoxb-{uuid.uuid4().hex}"
    slack.get_by_label("Bot token").fill(token)
    slack.get_by_role("button", name="Connect Slack").click()
    expect(slack.get_by_test_id("slack-status")).to_contain_text("Connected with a bot token")
    expect(slack.get_by_label("Bot token")).to_have_value("")

    # the channel is missing: integrations' refusal lands beside the channel
    slack.get_by_label("Threshold").fill("40")
    slack.get_by_role("button", name="Add rule").click()
    expect(slack.get_by_label("Channel")).to_have_attribute("aria-invalid", "true")
    slack.get_by_label("Channel").fill("#sales")
    slack.get_by_role("button", name="Add rule").click()
    expect(slack.get_by_role("cell", name="Score below 40", exact=True)).to_be_visible()
    slack.get_by_label("Alert when").select_option("call_failed")
    slack.get_by_label("Channel").fill("#ops")
    slack.get_by_role("button", name="Add rule").click()
    expect(slack.get_by_role("cell", name="Call failed", exact=True)).to_be_visible()
    web.check("66-integrations-slack")

    page.reload()
    expect(slack.get_by_role("cell", name="Score below 40", exact=True)).to_be_visible()
    assert token not in page.content()
    slack.get_by_role("button", name="Delete the rule Score below 40 in #sales").click()
    expect(slack.get_by_role("cell", name="Score below 40", exact=True)).to_have_count(0)
    client, _ = owner
    rules = client.http.get("/v1/integrations/slack/rules", headers=client.bearer).json()
    assert [(r["kind"], r["channel"]) for r in rules["items"]] == [("call_failed", "#ops")]
    assert web.problems == []


def test_a_rep_does_not_see_integrations_and_the_api_refuses_them(
    page: Page, stack: Stack, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    client, _ = owner
    rep, _, rep_email = join(stack, client, "rep", "Rex Rep")
    try:
        log_in(page, rep_email, "/settings/integrations")
        expect(page.get_by_role("alert")).to_contain_text(
            "Only owners and admins manage integrations"
        )
        expect(page.get_by_role("link", name="Integrations")).to_have_count(0)
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
        ).to_have_count(0)
        web.check("65-integrations-rep")
        for path in ("/v1/integrations/zoom", "/v1/webhooks", "/v1/integrations/slack/rules"):
            assert rep.http.get(path, headers=rep.bearer).status_code == 403, path
    finally:
        rep.close()
    assert web.problems == []
