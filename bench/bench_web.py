"""Web app budget: first-load JavaScript (gzipped) and rendering a 60-minute call page.

What is measured, in the same run:

- **First load JS, gzipped**: every script ``web/dist/index.html`` loads (entry and
  module preloads), gzip level 9. Baseline: a bare React "hello" page built by the
  same Vite from the same ``node_modules`` (the floor any React app pays).
- **Call page render**: headless Chromium (Debian's, through Playwright) opens the
  call page of a synthetic 60-minute call (``score.domain.synthetic``, scored by the
  local engine, assembled as the gateway assembles it) and the time from navigation
  start until the transcript and the metrics are in the DOM is read in the page
  (``performance.now()`` from a MutationObserver installed before the app loads).
  The API is answered from memory (``page.route``) so only the client is timed.
  Baseline: the same page rendering every utterance (``?transcript=full``), i.e.
  without virtualization. Median of several runs each, alternated; a 1-minute call in
  the same harness shows what app start, API answers and the lazy chunk cost anyway.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.report import Result
from clashtor_common.webbuild import WEB, ensure_built, ensure_dependencies

RUNS = int(os.environ.get("BENCH_WEB_RUNS", "5"))
MINUTES = float(os.environ.get("BENCH_WEB_MINUTES", "60"))
ORIGIN = "http://clashtor.bench"
CALL_ID = "bench-call"

HELLO_HTML = """<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>hello</title>
<script type="module" src="./main.js"></script></head><body><div id="root"></div></body></html>
"""
HELLO_JS = """import { createElement } from "react";
import { createRoot } from "react-dom/client";
createRoot(document.getElementById("root")).render(createElement("h1", null, "Hello"));
"""

RENDERED = """
window.__rendered = null;
new MutationObserver((_, observer) => {
  if (document.querySelector('.transcript .utterance') && document.getElementById('metrics-title')) {
    window.__rendered = performance.now();
    window.__nodes = document.getElementsByTagName('*').length;
    observer.disconnect();
  }
}).observe(document, {subtree: true, childList: true});
"""


def first_load_js(dist: Path) -> tuple[int, int]:
    """(gzipped bytes, raw bytes) of the scripts index.html loads."""
    html = (dist / "index.html").read_text()
    paths = re.findall(r'<script[^>]+src="([^"]+\.js)"', html)
    paths += re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', html)
    raw = [(dist / p.lstrip("./").lstrip("/")).read_bytes() for p in paths]
    return sum(len(gzip.compress(b, 9)) for b in raw), sum(len(b) for b in raw)


def hello_build() -> Path:
    """A bare React page built by the same Vite (inside web/ so node_modules resolves)."""
    ensure_dependencies()
    root = Path(tempfile.mkdtemp(prefix=".bench-hello-", dir=WEB))
    (root / "index.html").write_text(HELLO_HTML)
    (root / "main.js").write_text(HELLO_JS)
    subprocess.run(
        [str(WEB / "node_modules" / ".bin" / "vite"), "build", str(root), "--logLevel", "error"],
        cwd=root,
        check=True,
        env={**os.environ, "NODE_ENV": "production"},
    )
    return root


def scored_call(minutes: float) -> dict[str, Any]:
    """The call page's API answer for a scored synthetic call, as the gateway builds it."""
    from gateway.domain.call_view import assemble
    from score.domain.coaching import LocalCoach
    from score.domain.scorecard_templates import meddic_template
    from score.domain.scoring import score_call
    from score.domain.synthetic import synthetic_sales_call
    from score.domain.trackers import default_trackers

    transcript = synthetic_sales_call(minutes=minutes)
    score = score_call(
        transcript,
        trackers=default_trackers("bench-org"),
        scorecard=meddic_template("bench-org"),
        coach=LocalCoach(),
    )
    call = {
        "id": CALL_ID,
        "status": "scored",
        "title": f"{minutes:g}-minute discovery call",
        "duration": transcript.duration,
        "participants": [
            {"name": "Rita Rep", "email": "rita@seller.example", "role": "rep"},
            {"name": "Carl Customer", "email": "carl@buyer.example", "role": "customer"},
        ],
        "created_at": "2026-12-01T10:00:00+00:00",
    }
    scored = {"status": "scored", **json.loads(score.model_dump_json())}
    return assemble(call, json.loads(transcript.model_dump_json()), scored)


def _serve(dist: Path, call: dict[str, Any]) -> Any:
    body = json.dumps(call)
    me = {
        "id": "u1",
        "name": "Rita Rep",
        "email": "rita@seller.example",
        "role": "owner",
        "manager_id": None,
        "created_at": "2026-12-01T00:00:00Z",
        "organization": {"id": "o1", "name": "Seller Inc", "deletion_requested_at": None},
        "team_user_ids": [],
    }
    answers = {
        "/v1/me": json.dumps(me),
        "/v1/auth/csrf": json.dumps({"csrf_token": "t"}),
        f"/v1/calls/{CALL_ID}": body,
    }

    def handle(route: Any) -> None:
        path = re.sub(r"^https?://[^/]+", "", route.request.url).split("?")[0]
        if path in answers:
            route.fulfill(status=200, content_type="application/json", body=answers[path])
        elif path.startswith("/v1/"):
            route.fulfill(status=404, content_type="application/json", body="{}")
        else:
            file = dist / path.lstrip("/")
            if not file.is_file():
                file = dist / "index.html"
            route.fulfill(status=200, path=str(file))

    return handle


def render_times(
    dist: Path, call: dict[str, Any], short: dict[str, Any]
) -> dict[str, list[tuple[float, int]]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser.support import launch

    times: dict[str, list[tuple[float, int]]] = {"virtualized": [], "full": [], "short": []}
    urls = {
        "virtualized": f"{ORIGIN}/calls/{CALL_ID}",
        "full": f"{ORIGIN}/calls/{CALL_ID}?transcript=full",
        "short": f"{ORIGIN}/calls/{CALL_ID}",
    }
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            for run in range(RUNS + 1):  # the first round warms the browser up
                for kind, url in urls.items():
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    context.route("**/*", _serve(dist, short if kind == "short" else call))
                    context.add_init_script(RENDERED)
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_function("() => window.__rendered !== null", timeout=120_000)
                    got = page.evaluate("() => [window.__rendered, window.__nodes]")
                    if run:
                        times[kind].append((float(got[0]), int(got[1])))
                    context.close()
        finally:
            browser.close()
    return times


async def run() -> list[Result]:
    dist = ensure_built()
    js_gz, js_raw = first_load_js(dist)
    lazy_gz = sum(len(gzip.compress(p.read_bytes(), 9)) for p in dist.glob("assets/CallPage-*.js"))
    hello = hello_build()
    try:
        hello_gz, hello_raw = first_load_js(hello / "dist")
    finally:
        shutil.rmtree(hello, ignore_errors=True)

    call = scored_call(MINUTES)
    short = scored_call(1)
    utterances = call["transcript"]["utterances"]
    words = sum(len(u["words"]) for u in utterances)
    times = await asyncio.to_thread(
        render_times, dist, call, short
    )  # sync Playwright: no loop there
    virt = statistics.median(t for t, _ in times["virtualized"])
    full = statistics.median(t for t, _ in times["full"])
    return [
        Result(
            "web: first load JavaScript",
            "gzipped",
            js_gz / 1024,
            "bare React hello page",
            hello_gz / 1024,
            "KiB",
            higher_is_better=False,
            extra={
                "raw (KiB)": f"{js_raw / 1024:.1f} vs {hello_raw / 1024:.1f}",
                "call page chunk, loaded when a call is opened (gzipped KiB)": f"{lazy_gz / 1024:.1f}",
            },
        ),
        Result(
            "web: call page, 60-minute call",
            "median time to render",
            virt,
            "same page, transcript not virtualized",
            full,
            "ms",
            higher_is_better=False,
            extra={
                "call": f"{len(utterances)} utterances, {words} words, {len(json.dumps(call)) / 1e6:.2f} MB JSON",
                "runs": RUNS,
                "same harness, a 1-minute call (app start, API, lazy chunk) (ms)": f"{statistics.median(t for t, _ in times['short']):.0f}",
                "DOM elements (virtualized / full)": f"{times['virtualized'][0][1]} / {times['full'][0][1]}",
                "virtualized min / max (ms)": f"{min(t for t, _ in times['virtualized']):.0f} / {max(t for t, _ in times['virtualized']):.0f}",
            },
        ),
    ]
