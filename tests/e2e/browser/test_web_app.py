"""The web app in Chromium against the whole running system.

A new user signs up, uploads a generated call, watches it reach "scored" without
reloading, opens it, clicks a transcript word and a tracker marker (the audio jumps to
each), finds it in the list by search, corrects the rep, deletes it and logs out. Every
page is screenshotted to ``var/artifacts/web/`` and checked with axe-core; no page may
log a Content-Security-Policy refusal.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from clashtor_callgen import generate_call, short_script

from ..client import PASSWORD, Clashtor
from ..stack import Stack
from .support import Watched


def audio_time(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('audio').currentTime"))


def test_a_rep_signs_up_uploads_follows_and_reviews_a_call(page: Page) -> None:
    web = Watched(page)

    # signed out: every app route leads to log in
    page.goto("/calls")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcalls$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    web.check("01-login")

    # sign up; a weak password is refused beside its field
    page.get_by_role("link", name="Sign up").click()
    email = f"rita-{uuid.uuid4().hex[:8]}@seller.example"
    page.get_by_label("Name").fill("Rita Rep")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_label("Organization").fill("Seller Inc")
    page.get_by_role("button", name="Sign up").click()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_contain_text("10")
    web.check("02-signup-error")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    # an empty list invites the first upload
    expect(page).to_have_url(re.compile(r"/calls$"))
    first = page.get_by_role("link", name="Upload your first call")
    expect(first).to_be_visible()
    web.check("03-calls-empty")
    first.click()

    # a file that is not a recording is refused beside the file picker
    page.get_by_label("Choose a file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a call"}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".dropzone .field-error")).to_be_visible()
    web.check("04-upload-refused")

    # upload with a progress bar of the bytes sent
    generated = generate_call(short_script(), layout="stereo", fmt="wav")
    size = generated.path.stat().st_size
    page.get_by_label("Choose a file").set_input_files(str(generated.path))
    expect(page.get_by_text(generated.path.name)).to_be_visible()
    page.get_by_label("Title").fill("Discovery with Carl")
    page.get_by_label("Name").nth(1).fill("Carl Customer")
    page.get_by_label("Email").nth(1).fill("carl@buyer.example")
    web.check("04-upload")
    page.evaluate(
        """() => {
        window.__progress = [];
        new MutationObserver(() => {
            const bar = document.querySelector('progress');
            if (bar) window.__progress.push([bar.value, bar.max]);
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
    }"""
    )
    page.get_by_role("button", name="Upload").click()

    # the status moves on by itself until scored
    expect(page.get_by_role("heading", name="Upload complete")).to_be_visible()
    seen = page.evaluate("() => window.__progress")
    assert seen, "the progress bar never showed"
    assert max(value for value, _ in seen) >= size, (seen[-3:], size)
    web.check("05-processing")
    expect(page.get_by_test_id("call-status")).to_have_text("Status: scored", timeout=300_000)
    web.check("06-scored")
    page.get_by_role("link", name="Open the call").click()

    # the call page: a click on a word moves the audio there, and highlights it
    expect(page.get_by_role("heading", name="Discovery with Carl")).to_be_visible()
    expect(page.locator(".transcript .word").first).to_be_visible()
    expect(page.get_by_role("heading", name="Metrics")).to_be_visible()
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1")
    web.check("07-call")
    word = page.locator(".transcript .word").nth(12)
    start = float(word.get_attribute("data-start") or "nan")
    word.click()
    assert audio_time(page) == pytest.approx(start, abs=0.05)
    expect(word).to_have_class(re.compile(r"\bactive\b"))

    # a tracker marker on the timeline seeks too
    marker = page.locator(".marker.tracker").first
    at = float(marker.get_attribute("data-time") or "nan")
    assert at != pytest.approx(start, abs=0.5), "pick a marker away from the word"
    marker.click()
    assert audio_time(page) == pytest.approx(at, abs=0.05)

    # the player from the keyboard: → is five seconds on
    page.get_by_role("button", name="Forward 5 s").focus()
    page.keyboard.press("ArrowRight")
    assert audio_time(page) == pytest.approx(at + 5, abs=0.1)
    page.keyboard.press("k")
    page.wait_for_function("() => !document.querySelector('audio').paused")
    page.keyboard.press("k")
    page.wait_for_function("() => document.querySelector('audio').paused")

    # correcting who is the rep is accepted
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text("Saved. The call is being scored again.")).to_be_visible()

    # the list finds it by a participant's name and by title, and not by nonsense
    page.get_by_role("link", name="Calls", exact=True).click()
    search = page.get_by_label("Search")
    search.fill("carl customer")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Discovery with Carl")).to_be_visible()
    page.get_by_label("Status").select_option("scored")
    expect(page.get_by_role("link", name="Discovery with Carl")).to_be_visible()
    web.check("08-calls")
    search.fill("no such call")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No calls match these filters.")).to_be_visible()

    # delete it from its page
    search.fill("")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Discovery with Carl").click()
    page.get_by_role("button", name="Delete call").click()
    web.check("09-delete-confirm")
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page).to_have_url(re.compile(r"/calls$"))

    # log out, and the session is gone
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/upload")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    assert web.problems == []


def test_the_app_is_served_with_its_security_and_cache_headers(page: Page, stack: Stack) -> None:
    index = page.request.get("/calls/some-client-route")
    assert index.status == 200 and '<div id="root">' in index.text()
    csp = index.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert index.headers["cache-control"] == "no-cache"
    script = re.search(r'src="(/assets/[^"]+\.js)"', index.text())
    assert script
    asset = page.request.get(script.group(1))
    assert asset.status == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    api = page.request.get("/v1/does-not-exist")
    assert api.status == 404 and api.json()["error"]["code"] == "not_found"


def test_an_invited_rep_joins_from_the_link(page: Page, stack: Stack) -> None:
    web = Watched(page)
    owner = Clashtor(stack.gateway)
    try:
        owner.signup()
        token, _ = owner.invite("rep")
    finally:
        owner.close()
    page.context.clear_cookies()
    page.goto(f"/invitations/{token}")
    expect(page.get_by_role("heading", name="Join your team on Clashtor")).to_be_visible()
    page.get_by_label("Name").fill("Rob Rep")
    page.get_by_label("Password").fill(PASSWORD)
    web.check("10-invitation")
    page.get_by_role("button", name="Accept invitation").click()
    expect(page).to_have_url(re.compile(r"/calls$"))
    expect(page.get_by_text("Rob Rep")).to_be_visible()
    # a rep sees no Rep filter (they cannot list members) and their own empty list
    expect(page.get_by_label("Rep", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Upload your first call")).to_be_visible()
    # the same link cannot be used twice
    page.context.clear_cookies()
    page.goto(f"/invitations/{token}")
    page.get_by_label("Name").fill("Someone Else")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert web.problems == []


def test_the_link_mailed_after_an_email_change_confirms_it(page: Page, stack: Stack) -> None:
    web = Watched(page)
    owner = Clashtor(stack.gateway)
    try:
        owner.signup()
        new = f"olive-{uuid.uuid4().hex[:8]}@seller.example"
        changed = owner.http.patch(
            "/v1/me",
            headers=owner.bearer,
            json={"email": new, "current_password": "correct horse battery staple 42"},
        )
        assert changed.status_code == 200, changed.text
        assert stack.mail is not None
        (mail,) = stack.mail.to(new)
        link = re.search(r"/confirm-email/[A-Za-z0-9_-]+", mail.body)
        assert link, mail.body
        page.context.clear_cookies()
        page.goto(link.group(0))
        expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
        web.check("11-confirm-email")
        page.get_by_role("button", name="Confirm email address").click()
        expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
        me = owner.http.get("/v1/me", headers=owner.bearer)
        assert me.json()["email"] == new
        # the link works once
        page.reload()
        page.get_by_role("button", name="Confirm email address").click()
        expect(page.get_by_role("alert")).to_be_visible()
    finally:
        owner.close()
    assert web.problems == []
