"""Playwright on Debian's Chromium for the browser tests: launch, screenshots, axe-core.

No browser is downloaded: Playwright drives ``/usr/bin/chromium`` (``make
system-packages`` installs it). The page keeps its real Content-Security-Policy, so
axe-core is evaluated through the DevTools protocol rather than injected as a script tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from ..client import PASSWORD, Clashtor
from ..stack import Stack

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = ROOT / "var" / "artifacts" / "web"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium on a fresh profile (Playwright gives ``launch()`` a new
    temporary ``--user-data-dir`` each time and refuses one passed in ``args``)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, chromium_sandbox=False, args=CHROMIUM_ARGS
    )


@contextmanager
def browser_page(base_url: str, **options: Any) -> Iterator[Page]:
    """One page of a fresh Chromium on ``base_url`` (1280×900; 20 s for each action), for
    a test module to share; ``options`` go to the browser context."""
    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}, **options
        )
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def log_in(page: Page, email: str, then: str) -> None:
    """Sign in through the login form (a fresh session), to land on ``then``."""
    page.context.clear_cookies()
    page.goto(f"/login?next={quote(then, safe='')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


#: Resolves after the browser has rendered two more frames (React has drawn what an
#: event just changed).
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@dataclass
class Watched:
    """A page plus what it complained about: CSP refusals and uncaught errors."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error" and re.search(r"Content Security Policy|Refused to", msg.text):
                self.problems.append(msg.text)

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations on the page as it is now."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text() + "\n;true")
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        blocking = [v for v in result if v.get("impact") in BLOCKING]
        return [
            {
                "page": name,
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in blocking
        ]

    def check(self, name: str) -> None:
        """Screenshot, then no serious or critical accessibility violation."""
        self.shot(name)
        violations = self.axe(name)
        assert violations == [], violations


def join(stack: Stack, owner: Clashtor, role: str, name: str) -> tuple[Clashtor, str, str]:
    """A member who accepted an invitation: their client (with an API key), id and email."""
    token, email = owner.invite(role)
    member = Clashtor(stack.gateway)
    session = member.accept(token, name)
    return member, session["user"]["id"], email


@dataclass
class TeamCall:
    """A rep's call, scored, that their manager coaches: who to log in as, and the call."""

    manager_email: str
    rep_email: str
    call: dict[str, Any]
    """The scored call as the manager reads it (``GET /v1/calls/{id}``)."""


def scored_team_call(stack: Stack, organization: str, recording: Path) -> TeamCall:
    """A new organization where Rex Rep, on Mia Manager's team, uploaded ``recording``
    as "Discovery with Dora" (with Dora Buyer) and it was scored."""
    owner = Clashtor(stack.gateway)
    owner.signup(organization=organization)
    manager, manager_id, manager_email = join(stack, owner, "manager", "Mia Manager")
    rep, rep_id, rep_email = join(stack, owner, "rep", "Rex Rep")
    try:
        team = owner.http.put(
            f"/v1/members/{rep_id}/manager", headers=owner.bearer, json={"manager_id": manager_id}
        )
        assert team.status_code == 200, team.text
        call = rep.upload(
            recording,
            title="Discovery with Dora",
            participants=[
                {"name": "Rex Rep", "email": "rex@seller.example", "role": "rep"},
                {"name": "Dora Buyer", "email": "dora@buyer.example", "role": "customer"},
            ],
        )
        rep.wait_for_status(call["id"], "scored")
        return TeamCall(manager_email, rep_email, manager.call(call["id"]).json())
    finally:
        for client in (owner, manager, rep):
            client.close()
