"""Export and erasure of a participant with many calls vs the same request for a participant with one.

The whole system runs as in the end-to-end tests (``tests.e2e.stack.Stack``: six
service processes, Tansu, SeaweedFS, a database per service; ingest's free plan
raised so the seeding fits). One organization uploads, through the gateway,
``BENCH_PRIVACY_CALLS`` (default 1,000) short generated calls (two turns, ~3 s stereo
WAV) with the subject as the customer, plus one call with another participant (the
baseline subject), and waits until every call is ``scored`` (local Whisper); the time
that takes is reported too. Ingest de-duplicates identical bytes per organization, so
each upload differs from the others in its last audio frame (a few LSBs of silence).

A third participant with one call is exported and erased first, untimed (the first
request of each kind in a run pays for cold paths). Then, for the baseline subject
first and the subject with many calls second:

- **export**: ``POST /v1/privacy/export`` (subject ``participant`` by email), polled
  (``GET /v1/privacy/requests/{id}``, every 0.25 s) until ``completed``;
- **erasure**: ``POST /v1/privacy/erasure``, polled until ``completed`` (every service
  acknowledged, certificate issued).

Each time is client wall time from the POST to the first poll that sees ``completed``
(the server's ``completed_at - created_at`` is shown beside it). Reported: the ratio
many / one (how the request scales with the subject's calls) and the cost per call.

Seeding dominates the run: 1,000 calls took ~27 minutes on the shared 2-core machine
(local Whisper), the requests themselves about a minute; ``BENCH_PRIVACY_CALLS=100``
gives a quick look at the scaling.

    BENCH_PRIVACY_CALLS=1000 .venv/bin/python -m bench privacy
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import time
import wave
from datetime import datetime
from typing import Any

import httpx

from bench.report import Result
from bench.system import Account, running_stack, sign_up, upload
from clashtor_callgen import PROSPECT, REP, Turn, generate_call

CALLS = int(os.environ.get("BENCH_PRIVACY_CALLS", "1000"))
UPLOAD_CONCURRENCY = 4
SEED_TIMEOUT = float(os.environ.get("BENCH_PRIVACY_SEED_SECONDS", "5400"))
REQUEST_TIMEOUT = float(os.environ.get("BENCH_PRIVACY_REQUEST_SECONDS", "1800"))
POLL_SECONDS = 0.25
SCRIPT = [Turn(REP, "What is your budget?"), Turn(PROSPECT, "Forty thousand dollars.")]
REP_PARTICIPANT = {"name": "Rita Rep", "email": "rita.rep@seller.example", "role": "rep"}
MANY = {"name": "Pat Many", "email": "pat.many@buyer.example", "role": "customer"}
ONE = {"name": "Otto One", "email": "otto.one@buyer.example", "role": "customer"}
WARM = {"name": "Wes Warm", "email": "wes.warm@buyer.example", "role": "customer"}
TERMINAL = ("scored", "failed")


class Variants:
    """The same WAV with its last stereo frame set to ``i`` (unique bytes per ``i``)."""

    def __init__(self, wav: bytes) -> None:
        with wave.open(io.BytesIO(wav)) as reader:
            self.params = reader.getparams()
            self.frames = reader.readframes(reader.getnframes())
        if self.params.nchannels != 2 or self.params.sampwidth != 2:
            raise ValueError("expected 16-bit stereo")

    def __call__(self, i: int) -> bytes:
        last = struct.pack("<hh", i & 63, i >> 6)  # at most a few LSBs for a few thousand
        out = io.BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setparams(self.params)
            writer.writeframes(self.frames[:-4] + last)
        return out.getvalue()


async def seed(client: httpx.AsyncClient, account: Account, variants: Variants) -> list[str]:
    """Upload CALLS calls of MANY, one of ONE and one of WARM, UPLOAD_CONCURRENCY at a time."""
    jobs = [(i, MANY) for i in range(CALLS)] + [(CALLS, ONE), (CALLS + 1, WARM)]
    ids: list[str] = [""] * len(jobs)
    queue = iter(jobs)

    async def uploader() -> None:
        for i, subject in queue:
            ids[i] = await upload(
                client,
                account,
                variants(i),
                filename=f"call-{i}.wav",
                title=f"Budget call {i}",
                participants=[REP_PARTICIPANT, subject],
            )

    await asyncio.gather(*(uploader() for _ in range(UPLOAD_CONCURRENCY)))
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"ingest de-duplicated uploads: {len(set(ids))} ids for {len(ids)}")
    return ids


async def statuses(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """Every call of the organization and its status, through ``GET /v1/calls`` pages."""
    found: dict[str, str] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        resp = await client.get("/v1/calls", headers=account.bearer, params=params)
        resp.raise_for_status()
        page = resp.json()
        found.update({c["id"]: c["status"] for c in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return found


async def wait_processed(client: httpx.AsyncClient, account: Account, ids: list[str]) -> float:
    """Seconds until every call is scored or failed; progress printed every ~30 s."""
    start = time.monotonic()
    last_print = start
    while True:
        now = await statuses(client, account)
        done = sum(now.get(i) in TERMINAL for i in ids)
        elapsed = time.monotonic() - start
        if done == len(ids):
            return elapsed
        if elapsed > SEED_TIMEOUT:
            raise TimeoutError(f"{done}/{len(ids)} calls processed after {elapsed:.0f} s")
        if time.monotonic() - last_print > 30:
            print(f"   {done}/{len(ids)} calls processed after {elapsed:.0f} s", flush=True)
            last_print = time.monotonic()
        await asyncio.sleep(10)


async def timed_request(
    client: httpx.AsyncClient, account: Account, kind: str, email: str
) -> tuple[float, dict[str, Any]]:
    """POST a privacy request about a participant; seconds until ``completed``, and it."""
    start = time.perf_counter()
    resp = await client.post(
        f"/v1/privacy/{kind}",
        headers=account.bearer,
        json={"subject": {"type": "participant", "email": email}},
    )
    if resp.status_code != 202:
        raise RuntimeError(f"{kind} answered {resp.status_code}: {resp.text[:300]}")
    request_id = resp.json()["id"]
    deadline = start + REQUEST_TIMEOUT
    while True:
        got = await client.get(f"/v1/privacy/requests/{request_id}", headers=account.bearer)
        got.raise_for_status()
        body: dict[str, Any] = got.json()
        if body["status"] == "completed":
            return time.perf_counter() - start, body
        if body["status"] == "failed" or time.perf_counter() > deadline:
            raise RuntimeError(f"{kind} {request_id} is {body['status']}: {body}")
        await asyncio.sleep(POLL_SECONDS)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def describe(request: dict[str, Any]) -> str:
    """Server time to completion and, per service, when it answered and with what counts."""
    created = _at(request["created_at"])
    total = (_at(request["completed_at"]) - created).total_seconds()
    answers = []
    for ack in sorted(request["acknowledgements"], key=lambda a: a["service"]):
        details = ack.get("details") or {}
        counts = details.get("removed") if "removed" in details else details.get("items")
        if isinstance(counts, dict):
            counts = "+".join(f"{k}={v}" for k, v in counts.items() if v) or "0"
        answered = (_at(ack["at"]) - created).total_seconds() if ack.get("at") else float("nan")
        answers.append(f"{ack['service']} {answered:.1f}s ({counts})")
    return f"server {total:.2f} s; " + ", ".join(answers)


async def run() -> list[Result]:
    call = await asyncio.to_thread(generate_call, SCRIPT, layout="stereo", fmt="wav", pause=0.2)
    variants = Variants(call.path.read_bytes())
    ingest_env = {"INGEST_FREE_PLAN_MINUTES": str(10 * CALLS + 100)}
    async with running_stack("privacy", extra_env={"ingest": ingest_env}) as stack:
        account = await sign_up(stack.gateway)
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=120) as client:
            start = time.monotonic()
            ids = await seed(client, account, variants)
            uploaded = time.monotonic() - start
            print(f"   {len(ids)} calls uploaded in {uploaded:.0f} s", flush=True)
            processed = await wait_processed(client, account, ids)
            seeded = uploaded + processed
            final = await statuses(client, account)
            failed = sum(final.get(i) == "failed" for i in ids)
            print(f"   all processed {seeded:.0f} s after the first upload", flush=True)

            # Untimed: the first export and erasure of the run pay for cold paths.
            for kind in ("export", "erasure"):
                await timed_request(client, account, kind, WARM["email"])
            timings: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
            for kind in ("export", "erasure"):
                for who, subject in (("one", ONE), ("many", MANY)):
                    timings[kind, who] = await timed_request(
                        client, account, kind, subject["email"]
                    )
                    print(f"   {kind} of {who}: {timings[kind, who][0]:.2f} s", flush=True)
            left = await statuses(client, account)

    setup: dict[str, float | str] = {
        "calls": (
            f"{CALLS} of the subject + 1 of the baseline subject + 1 warm-up, "
            f"{call.duration:.1f} s each"
        ),
        "seeding": (
            f"uploaded in {uploaded:.0f} s, all scored/failed {seeded:.0f} s after the first "
            f"upload ({seeded / len(ids):.2f} s per call); failed: {failed}"
        ),
        "calls left after the erasures": str(len(left)),
    }
    results = []
    for kind in ("export", "erasure"):
        many, many_req = timings[kind, "many"]
        one, one_req = timings[kind, "one"]
        results.append(
            Result(
                f"{kind} of a participant",
                f"time, {CALLS} calls",
                many,
                "same for a participant with 1 call",
                one,
                "s",
                higher_is_better=False,
                extra={
                    **(setup if kind == "export" else {}),
                    "per call beyond the first (ms)": f"{(many - one) / max(CALLS - 1, 1) * 1000:.1f}",
                    f"{CALLS} calls": describe(many_req),
                    "1 call": describe(one_req),
                },
            )
        )
    return results
