"""Settings in Chromium against the whole running system: an owner invites and revokes,
puts a rep on a manager's team, makes an API key that is shown once and works until
revoked, and sees the plan, the minutes used against it and the way to Stripe Checkout.
Every page is checked with axe-core."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from billing.adapters.stripe_gateway import StripeGateway
from billing.service_layer.catalog import setup_plans

from ...conftest import STRIPE_API_KEY
from ..client import Clashtor
from ..stack import Stack
from .support import Watched, log_in


@pytest.fixture(scope="module")
def owner(stack: Stack, page: Page) -> Iterator[Clashtor]:
    """An owner with a rep and a manager, signed in in the browser."""
    client = Clashtor(stack.gateway)
    email = client.signup(organization="Settings Test Inc")["user"]["email"]
    for name, role in (("Rex Rep", "rep"), ("Mia Manager", "manager")):
        token, _ = client.invite(role)
        member = Clashtor(stack.gateway)
        member.accept(token, name)
        member.close()
    log_in(page, email, "/settings")
    # the settings chunk loads lazily, then /settings leads to its first section
    expect(page.get_by_role("heading", name="Members")).to_be_visible(timeout=20_000)
    expect(page).to_have_url(re.compile(r"/settings/members$"))
    yield client
    client.close()


def test_members_teams_and_invitations(page: Page, owner: Clashtor) -> None:
    web = Watched(page)
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    expect(page.get_by_role("cell", name="Rex Rep", exact=True)).to_be_visible()

    # Rex joins Mia's team, and it holds after a reload
    with page.expect_response(lambda r: r.url.endswith("/manager")) as answered:
        page.get_by_label("Manager of Rex Rep").select_option(label="Mia Manager")
    assert answered.value.ok, answered.value.text()
    page.reload()
    expect(page.get_by_label("Manager of Rex Rep").locator("option:checked")).to_have_text(
        "Mia Manager"
    )

    # an invitation: a bad address is refused beside the field, a good one is listed
    invite = page.get_by_label("Email to invite")
    invite.fill("not an address")
    page.get_by_role("button", name="Send invitation").click()
    expect(invite).to_have_attribute("aria-invalid", "true")
    email = f"ivy-{uuid.uuid4().hex[:6]}@seller.example"
    invite.fill(email)
    page.get_by_label("Role", exact=True).select_option("compliance")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation mailed to {email}")
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    web.check("30-settings-members")
    page.get_by_role("button", name=f"Revoke the invitation to {email}").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_have_count(0)
    assert web.problems == []


def test_an_api_key_is_shown_once_and_works_until_revoked(
    page: Page, owner: Clashtor, stack: Stack
) -> None:
    web = Watched(page)
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    page.get_by_label("Key name").fill("CI uploads")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-api-key").inner_text().strip()
    web.check("31-settings-api-key")
    bearer = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{stack.gateway}/v1/me", headers=bearer).status_code == 200
    page.reload()
    expect(page.get_by_role("cell", name="CI uploads", exact=True)).to_be_visible()
    expect(page.get_by_test_id("new-api-key")).to_have_count(0)
    assert key not in page.content()
    page.get_by_role("button", name="Revoke CI uploads").click()
    expect(page.get_by_role("cell", name="CI uploads", exact=True)).to_have_count(0)
    assert httpx.get(f"{stack.gateway}/v1/me", headers=bearer).status_code == 401
    assert web.problems == []


async def _catalog(api_base: str) -> None:
    gateway = StripeGateway(STRIPE_API_KEY, api_base=api_base)
    try:
        await setup_plans(gateway)
    finally:
        await gateway.aclose()


def test_billing_shows_the_plan_the_minutes_and_leads_to_checkout(
    page: Page, stripe_stub: Any
) -> None:
    web = Watched(page)
    # the plans' prices, as the catalog set-up makes them (its own loop: pytest runs one)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _catalog(stripe_stub.url)).result()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("current-plan")).not_to_be_empty()
    expect(page.get_by_test_id("minutes")).to_contain_text(re.compile(r"^0 of \d+ minutes"))
    web.check("32-settings-billing")

    # Stripe's hosted page stands in locally: the browser must be sent there
    def hosted(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<title>Stripe</title>")

    page.route("https://checkout.stripe.com/**", hosted)
    page.get_by_role("button", name=re.compile(r"^Switch to ")).first.click()
    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/"))
    assert web.problems == []


def test_an_admin_adds_a_tracker_and_deletes_it(page: Page) -> None:
    web = Watched(page)
    page.goto("/settings/trackers")
    page.get_by_label("Tracker name").fill("Budget talk")
    page.get_by_label("Phrases").fill("budget,  price range ,")
    page.get_by_label("Said by").select_option("customer")
    page.get_by_role("button", name="Add tracker").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name="Budget talk", exact=True)
    )
    expect(row).to_contain_text("budget, price range")
    expect(row).to_contain_text("The customer")
    web.check("33-settings-trackers")
    # the same name again is refused, and says why
    page.get_by_label("Tracker name").fill("budget TALK")
    page.get_by_label("Phrases").fill("money")
    page.get_by_role("button", name="Add tracker").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    page.get_by_role("button", name="Delete Budget talk").click()
    expect(row).to_have_count(0)
    assert web.problems == []
