"""The privacy center in Chromium against the whole running system.

A compliance officer erases a call participant and watches every service acknowledge,
then downloads the signed certificate and checks it offline; the officer exports their
rep exports their own data and downloads the bundle; the owner deletes the account and restores it. Every
page is checked with axe-core.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clashtor_common.certificates import load_certificate, verify_certificate

from ..client import PASSWORD, Clashtor
from ..stack import Stack
from .support import Watched, browser_page, log_in

SERVICES = ("ingest", "transcribe", "score", "billing", "gateway")
"""Privacy's default fan-out: each of these must acknowledge an erasure."""


@pytest.fixture(scope="module")
def page(stack: Stack) -> Iterator[Page]:
    with browser_page(stack.gateway, accept_downloads=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def owner(stack: Stack) -> Iterator[tuple[Clashtor, str]]:
    client = Clashtor(stack.gateway)
    body = client.signup(organization="Privacy Test Inc")
    yield client, body["user"]["email"]
    client.close()


def join_as(page: Page, owner: Clashtor, role: str, name: str) -> None:
    """A new member of the owner's organization, signed in through the invitation link."""
    token, _ = owner.invite(role)
    page.context.clear_cookies()
    page.goto(f"/invitations/{token}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page).to_have_url(re.compile(r"/calls$"))


def test_an_officer_erases_a_participant_and_every_service_acknowledges(
    page: Page, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    client, _ = owner
    join_as(page, client, "compliance", "Cora Compliance")
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="Privacy center")).to_be_visible()
    expect(page.get_by_text("No requests yet.")).to_be_visible()
    web.check("20-privacy-center")

    # an address that is not one is refused beside its field, before anything is sent
    page.get_by_label("Request").select_option(label="Erase their data")
    page.get_by_label("About").select_option("participant")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#pr-value")).to_have_attribute("aria-invalid", "true")

    # erasing asks once more, then opens the request and fills in as services answer
    page.get_by_label("Email").fill("erin.erased@buyer.example")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("Erasing is final")
    web.check("21-erasure-confirm")
    page.get_by_role("button", name="Yes, erase").click()
    expect(page).to_have_url(re.compile(r"/privacy/requests/[^/]+$"))
    request_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name="Erasure request")).to_be_visible()
    for service in SERVICES:
        expect(page.locator(f'.ack[data-service="{service}"]')).to_have_class(
            re.compile(r"\back-completed\b"), timeout=180_000
        )
    expect(page.get_by_test_id("request-status")).to_have_text("Completed")
    acks = page.locator(".ack")
    expect(
        page.get_by_role("heading", name=re.compile(r"^Services \d+ of \d+ done$"))
    ).to_have_text(f"Services {acks.count()} of {acks.count()} done")
    web.check("22-erasure-completed")

    # the certificate is a file that verifies offline against the published key
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the certificate").click()
    assert download.value.suggested_filename == f"erasure-{request_id}.json"
    certificate = load_certificate(Path(download.value.path()).read_bytes())
    key = client.http.get("/v1/privacy/certificate-key", headers=client.bearer).json()
    record = verify_certificate(certificate, key["public_key"])
    assert certificate["request_id"] == request_id and record

    # it is listed in the center
    page.get_by_role("link", name="← Privacy center").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Erasure"))
    expect(row).to_contain_text("Completed")
    assert web.problems == []


def test_a_rep_exports_their_own_data_and_downloads_it(
    page: Page, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    join_as(page, owner[0], "rep", "Rex Rep")
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(page.get_by_text("A request about someone")).to_have_count(0)
    page.get_by_role("button", name="Export my data").click()
    expect(page.get_by_role("heading", name="Export request")).to_be_visible()
    link = page.get_by_role("link", name="Download the export (ZIP)")
    expect(link).to_be_visible(timeout=180_000)
    web.check("23-export-ready")
    with page.expect_download() as download:
        link.click()
    bundle = Path(download.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert archive.namelist(), "the export bundle is empty"
    assert web.problems == []


def test_the_owner_deletes_the_account_and_restores_it(
    page: Page, owner: tuple[Clashtor, str]
) -> None:
    web = Watched(page)
    _, email = owner
    log_in(page, email, "/privacy")
    expect(page.get_by_role("heading", name="Delete the organization's account")).to_be_visible()
    page.get_by_role("button", name="Delete the account").click()
    page.get_by_role("button", name="Yes, delete the account").click()
    expect(page.get_by_role("heading", name="The account is deleted")).to_be_visible()
    expect(page.locator(".banner")).to_contain_text("erased for good")
    web.check("24-account-deleted")
    page.get_by_role("button", name="Restore the account").click()
    expect(page.get_by_role("heading", name="Delete the organization's account")).to_be_visible()
    expect(page.locator(".banner")).to_have_count(0)
    page.get_by_role("link", name="Calls", exact=True).click()
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    assert web.problems == []
