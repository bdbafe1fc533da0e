"""Coaching on a call in Chromium against the whole running system: a manager comments at
0:42 mentioning the rep, the rep is notified, opens the call, sees the comment and a click
on it seeks the player to 42 s; the manager overrides a scorecard item and the call's
score changes for the rep too. Each page passes axe-core."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from clashtor_callgen import generate_call

from ..stack import Stack
from .support import Watched, log_in, scored_team_call


def an_item_to_raise(call: dict[str, Any]) -> dict[str, Any]:
    """A scorecard item the engine did not fully credit, so an override to "met" moves
    the call's score."""
    return next(i for i in call["scorecard"]["items"] if i["score"] < 1)


def test_a_managers_comment_reaches_the_rep_and_an_override_changes_the_score(
    page: Page, stack: Stack
) -> None:
    web = Watched(page)
    recording = generate_call(layout="stereo", fmt="wav", target_duration=60).path
    coached = scored_team_call(stack, "Coaching Test Inc", recording)
    call = scored = coached.call
    manager_email, rep_email = coached.manager_email, coached.rep_email
    assert scored["duration"] > 42
    item = an_item_to_raise(scored)
    automatic = round(scored["scorecard"]["overall"])

    # the manager comments at 0:42, mentioning the rep
    log_in(page, manager_email, f"/calls/{call['id']}")
    expect(page.get_by_role("heading", name="Discovery with Dora")).to_be_visible()
    page.locator("audio").evaluate("a => { a.currentTime = 42; }")
    comments = page.get_by_role("region", name="Comments")
    comments.get_by_role("button", name="Comment at 0:42").click()
    comments.get_by_label("Comment at 0:42").fill("Great question here, keep asking like this")
    comments.get_by_label("Mention a member").select_option(label="Rex Rep (rep)")
    comments.get_by_role("button", name="Post").click()
    expect(
        comments.get_by_role(
            "button", name=re.compile(r"Play from\s*0:42 Mia Manager: Great question")
        )
    ).to_be_visible()
    web.check("50-call-comment")

    # ... and overrides an item the engine did not credit
    review = page.get_by_role("region", name="Review the scorecard")
    review.get_by_label("Item").select_option(label=item["question"])
    review.get_by_label("Score").select_option(label="Met")
    review.get_by_label("Reason").fill("The rep did this at 0:42, in other words")
    review.get_by_role("button", name="Override").click()
    scorecard = page.get_by_role("region", name=re.compile("Scorecard"))
    expect(scorecard.get_by_text(f"Reviewed (automatic {automatic})")).to_be_visible()
    web.check("51-call-reviewed")

    # the rep is told, opens the call, sees the comment and the reviewed score
    log_in(page, rep_email, "/notifications")
    mention = page.get_by_role("link", name="You were mentioned in a comment at 0:42")
    expect(mention).to_be_visible(timeout=60_000)
    web.check("52-notifications")
    mention.click()
    expect(page).to_have_url(re.compile(rf"/calls/{call['id']}$"))
    expect(page.get_by_text(f"Reviewed (automatic {automatic})")).to_be_visible()
    new_score = page.locator("#scorecard-title .score")
    expect(new_score).not_to_have_text(f"{automatic} / 100")
    thread = page.get_by_role(
        "button", name=re.compile(r"Play from\s*0:42 Mia Manager: Great question .*@Rex Rep")
    )
    thread.click()
    page.wait_for_function("() => Math.abs(document.querySelector('audio').currentTime - 42) < 1")
    web.check("53-rep-call")
    assert web.problems == []
