"""Re-score jobs on the real database, broker and S3: progress, batches, resuming, races.

The worker loop is off in this module (``rescore_poll_seconds=0``): each test runs the
job's batches itself, so it can stop between two of them as a restart would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from score.adapters.tables import CallScoreRecord
from score.service_layer.rescore import run_batch, run_jobs

from .support import BusCalls, RunningScore, TopicReader, new_org


@pytest.fixture(scope="module")
def score_overrides() -> dict[str, Any]:
    return {"rescore_poll_seconds": 0, "rescore_batch_size": 1}


async def _calls(bus: BusCalls, org: str, n: int) -> list[str]:
    return [await bus.scored_id(org) for _ in range(n)]


async def _times_scored(score: RunningScore, org: str) -> dict[str, int]:
    async with score.ctx.db.session() as session:
        rows = await session.execute(
            select(CallScoreRecord.call_id, CallScoreRecord.times_scored).where(
                CallScoreRecord.org_id == org
            )
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def _job(score: RunningScore, org: str, job_id: str) -> dict[str, Any]:
    got = await score.client.get(f"/internal/rescore-jobs/{job_id}", headers=score.as_member(org))
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_a_new_tracker_reaches_past_calls_batch_by_batch(
    score: RunningScore, bus: BusCalls, scored: TopicReader
) -> None:
    org = new_org()
    admin = score.as_member(org)
    calls = await _calls(bus, org, 2)
    before = (await score.score_of(org, calls[0])).json()
    assert "Ramp" not in [t["name"] for t in before["trackers"]]
    added = await score.client.post(
        "/internal/trackers", json={"name": "Ramp", "phrases": ["ramp"]}, headers=admin
    )
    assert added.status_code == 201, added.text

    started = await score.client.post("/internal/rescore-jobs", json={}, headers=admin)
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["reason"], job["status"], job["total"], job["done"], job["percent"]) == (
        "trackers",
        "running",
        2,
        0,
        0,
    )
    assert await run_batch(score.ctx, job["id"]) is True
    assert (
        (await _job(score, org, job["id"]))["done"],
        (await _job(score, org, job["id"]))["percent"],
    ) == (1, 50)
    await run_jobs(score.ctx)
    done = await _job(score, org, job["id"])
    assert (done["status"], done["done"], done["rescored"], done["percent"]) == (
        "completed",
        2,
        2,
        100,
    )

    for call_id in calls:
        after = (await score.score_of(org, call_id)).json()
        ramp = next(t for t in after["trackers"] if t["name"] == "Ramp")
        assert ramp["count"] >= 1, "the call says 'ramp': the new tracker finds it"
        [*_, last] = await scored.wait_for(
            lambda e, c=call_id: e.org_id == org and e.data["call_id"] == c, count=2
        )
        assert "Ramp" in last.data["trackers"], "call-scored announces the re-score"
    listed = await score.client.get("/internal/rescore-jobs", headers=admin)
    assert [j["id"] for j in listed.json()["items"]] == [job["id"]]


async def test_a_restart_resumes_after_the_last_batch_and_no_call_is_rescored_twice(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    calls = await _calls(bus, org, 3)
    started = await score.client.post(
        "/internal/rescore-jobs", json={}, headers=score.as_member(org)
    )
    job_id = started.json()["id"]
    # two workers (two replicas, or one before and one after a restart) take the same batch
    await asyncio.gather(run_batch(score.ctx, job_id), run_batch(score.ctx, job_id))
    halfway = await _job(score, org, job_id)
    assert halfway["done"] == 1, "the batch both computed is written once"
    # kill -9 here: nothing but the committed batch survives; the next worker resumes
    await run_jobs(score.ctx)
    assert (await _job(score, org, job_id))["done"] == 3
    assert await _times_scored(score, org) == {c: 2 for c in calls}, "each call once more"
    await run_jobs(score.ctx)  # a replayed run of a finished job changes nothing
    assert await _times_scored(score, org) == {c: 2 for c in calls}


async def test_a_newer_job_supersedes_a_running_one_and_other_orgs_see_neither(
    score: RunningScore, bus: BusCalls
) -> None:
    org, other = new_org(), new_org()
    await _calls(bus, org, 1)
    admin = score.as_member(org)
    first = (await score.client.post("/internal/rescore-jobs", json={}, headers=admin)).json()
    second = (await score.client.post("/internal/rescore-jobs", json={}, headers=admin)).json()
    assert (await _job(score, org, first["id"]))["status"] == "superseded"
    assert second["status"] == "running"
    outsider = score.as_member(other)
    got = await score.client.get(f"/internal/rescore-jobs/{second['id']}", headers=outsider)
    assert got.status_code == 404
    assert (await score.client.get("/internal/rescore-jobs", headers=outsider)).json()[
        "items"
    ] == []
    rep = score.as_member(org, role="rep", user_id="rep-1")
    refused = await score.client.post("/internal/rescore-jobs", json={}, headers=rep)
    assert refused.status_code == 403
    unknown = await score.client.post(
        "/internal/rescore-jobs", json={"scorecard_id": "nope"}, headers=admin
    )
    assert unknown.status_code == 404
    await run_jobs(score.ctx)
    assert (await _job(score, org, second["id"]))["status"] == "completed"


async def test_a_first_tracker_added_while_the_page_first_reads_them_is_not_refused(
    score: RunningScore,
) -> None:
    """The first read copies the default trackers; an add racing it used to answer 409."""
    for _ in range(3):
        org = new_org()
        admin = score.as_member(org)
        read, added = await asyncio.gather(
            score.client.get("/internal/trackers", headers=admin),
            score.client.post(
                "/internal/trackers",
                json={"name": "Money talk", "phrases": ["budget"]},
                headers=admin,
            ),
        )
        assert (read.status_code, added.status_code) == (200, 201), added.text


async def test_the_jobs_list_pages_newest_first_and_refuses_a_forged_cursor(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    await _calls(bus, org, 1)
    admin = score.as_member(org)
    started = [
        (await score.client.post("/internal/rescore-jobs", json={}, headers=admin)).json()["id"]
        for _ in range(3)
    ]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = await score.client.get("/internal/rescore-jobs", params=params, headers=admin)
        assert page.status_code == 200, page.text
        seen += [job["id"] for job in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert seen == started[::-1]
    assert cursor is None
    forged = await score.client.get(
        "/internal/rescore-jobs", params={"cursor": "not-a-cursor"}, headers=admin
    )
    assert forged.status_code == 422
    assert forged.json()["error"]["code"] == "validation_error"
