"""The team dashboard in Chromium against the whole running system: a rep's call is
scored, their manager opens the Team page, sees the rep's trend on every metric beside the
team's median and the recommended ranges, clicks the point and opens the call behind it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from clashtor_callgen import generate_call, short_script

from ..stack import Stack
from .support import SETTLED, Watched, log_in, scored_team_call


def test_a_manager_sees_a_reps_trend_and_opens_the_call_behind_a_point(
    page: Page, stack: Stack
) -> None:
    web = Watched(page)
    recording = generate_call(short_script(), layout="stereo", fmt="wav").path
    coached = scored_team_call(stack, "Dashboard Test Inc", recording)
    call, manager_email = coached.call, coached.manager_email

    log_in(page, manager_email, "/team")
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.get_by_label("Rep", exact=True)).to_have_text(re.compile("Rex Rep"))
    for metric in ("Scorecard score", "Talk ratio", "Longest monologue", "Questions asked"):
        expect(page.get_by_role("heading", name=metric)).to_be_visible()
    talk = page.get_by_role("region", name="Talk ratio")
    expect(talk).to_contain_text("recommended 40%–50%")
    expect(talk.locator(".trend-dot")).to_have_count(1)
    web.check("40-team-dashboard")

    # one click on the point lists the call behind it; one more opens it. The pointer
    # rests on the point first, as a person's does: the chart reacts to the hover (its
    # tooltip), and the point must still take the click (the team's median equals the
    # rep's value here; the team line's hover dot once lay over the point and took it).
    dot = talk.locator(".trend-dot")
    dot.scroll_into_view_if_needed()
    box = dot.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate(SETTLED)  # the chart has answered the hover
    page.mouse.down()
    page.mouse.up()
    behind = page.get_by_role("region", name="Calls behind the point")
    expect(behind.get_by_role("link", name="Discovery with Dora")).to_be_visible()
    web.check("41-team-point")
    behind.get_by_role("link", name="Discovery with Dora").click()
    expect(page).to_have_url(re.compile(rf"/calls/{call['id']}$"))
    expect(page.get_by_role("heading", name="Discovery with Dora")).to_be_visible()
    assert web.problems == []
