"""The call library and re-scoring in Chromium against the whole running system: an admin
adds a tracker for a word said in a call already scored and watches the past calls
re-scored to 100 % until the hit is on the call; edits a scorecard's weights with the
same progress; makes a playlist, adds a clip from the call page and opens it at the clip.
Every page is checked with axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clashtor_callgen import generate_call, short_script

from ..client import Clashtor
from ..stack import Stack
from .support import Watched, log_in


@pytest.fixture(scope="module")
def call(stack: Stack, page: Page) -> Iterator[dict[str, Any]]:
    """An owner's scored call ("… what budget do you have …"), the owner signed in."""
    owner = Clashtor(stack.gateway)
    email = owner.signup(organization="Library Test Inc")["user"]["email"]
    made = owner.upload(
        generate_call(short_script(), layout="stereo", fmt="wav").path,
        title="Discovery with Bea",
        participants=[{"name": "Bea Buyer", "email": "bea@buyer.example", "role": "customer"}],
    )
    scored = owner.wait_for_status(made["id"], "scored")
    log_in(page, email, "/library")
    expect(page.get_by_role("heading", name="Library")).to_be_visible(timeout=20_000)
    yield scored
    owner.close()


def test_a_new_tracker_rescores_past_calls_with_progress(page: Page, call: dict[str, Any]) -> None:
    web = Watched(page)
    page.goto("/settings/trackers")
    expect(page.get_by_role("heading", name="Trackers")).to_be_visible(timeout=20_000)
    page.get_by_label("Tracker name").fill("Money talk")
    page.get_by_label("Phrases").fill("budget")
    expect(page.get_by_label("Re-score past calls")).to_be_checked()
    page.get_by_role("button", name="Add tracker").click()
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("value", "100", timeout=120_000)
    expect(page.get_by_text("Past calls re-scored: 1 of 1")).to_be_visible()
    web.check("50-settings-trackers-rescored")

    page.goto(f"/calls/{call['id']}")
    expect(page.get_by_role("button", name=re.compile(r"^Money talk at "))).not_to_have_count(0)
    assert web.problems == []


def test_a_scorecard_edit_rescores_past_calls_with_progress(page: Page) -> None:
    web = Watched(page)
    page.goto("/settings/scorecards")
    expect(page.get_by_role("heading", name="Scorecards")).to_be_visible(timeout=20_000)
    page.get_by_label("Start from").select_option("bant")
    page.get_by_role("button", name="Create scorecard").click()
    editor = page.get_by_role("form", name="Edit BANT")
    expect(editor).to_be_visible()
    editor.get_by_label("Weight of question 1").fill("3")
    editor.get_by_role("button", name="Remove question 2").click()
    editor.get_by_label("New question").fill("Did they name a decision date?")
    editor.get_by_label("Answered when someone says").fill("next quarter, this year")
    editor.get_by_role("button", name="Add question").click()
    web.check("51-settings-scorecard-editor")
    editor.get_by_role("button", name="Save scorecard").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100", timeout=120_000)
    expect(page.get_by_role("cell", name="2", exact=True)).to_be_visible()  # version 2
    web.check("52-settings-scorecard-rescored")
    assert web.problems == []


def test_a_clip_added_from_the_call_page_opens_at_its_moment(
    page: Page, call: dict[str, Any]
) -> None:
    web = Watched(page)
    page.goto("/library")
    page.get_by_label("New playlist").fill("Best discovery calls")
    page.get_by_role("button", name="Create playlist").click()
    expect(page.get_by_role("heading", name="Best discovery calls")).to_be_visible()
    playlist_url = page.url
    web.check("53-library-playlist-empty")

    page.goto(f"/calls/{call['id']}")
    panel = page.get_by_role("region", name="Add to playlist")
    expect(panel.get_by_label("Playlist")).to_have_value(re.compile(".+"))
    panel.get_by_role("button", name="Clip from the player's time").click()
    panel.get_by_label("Clip start (s)").fill("2")
    panel.get_by_label("Clip end (s)").fill("6")
    panel.get_by_role("button", name="Add clip").click()
    expect(panel.get_by_role("status")).to_have_text("Added to Best discovery calls.")
    web.check("54-call-add-to-playlist")

    page.goto(playlist_url)
    clip = page.get_by_role("link", name="Discovery with Bea (0:02–0:06)")
    expect(clip).to_be_visible()
    web.check("55-library-playlist")
    page.goto("/library")
    expect(page.get_by_role("link", name="Best discovery calls")).to_be_visible()
    web.check("56-library")
    page.goto(playlist_url)
    page.get_by_role("link", name="Discovery with Bea (0:02–0:06)").click()
    expect(page).to_have_url(re.compile(rf"/calls/{call['id']}\?start=2&end=6$"))
    expect(page.get_by_text("Playing the clip 0:02–0:06.")).to_be_visible()
    time = page.evaluate("() => document.querySelector('audio').currentTime")
    assert time == pytest.approx(2, abs=0.5), "the player starts at the clip"
    assert web.problems == []
