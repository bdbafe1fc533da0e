"""/v1/analytics: score's team analytics through the gateway, scoped by who asks."""

from __future__ import annotations

from typing import Any


async def test_the_trends_reach_score_with_the_callers_identity(api: Any, fake_state: Any) -> None:
    _owner, rep = await api.team("rep")
    resp = await rep.client.get("/v1/analytics/trends", params={"weeks": 4})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["weeks"]) == 4
    assert [r["user_id"] for r in resp.json()["reps"]] == [rep.user_id]
    (seen,) = fake_state.seen_at("GET", "/internal/analytics/trends")[-1:]
    assert seen.identity.user_id == rep.user_id and seen.identity.role == "rep"


async def test_a_silly_number_of_weeks_is_refused_before_score(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    before = len(fake_state.seen_at("GET", "/internal/analytics/trends"))
    for weeks in ("0", "53", "many"):
        resp = await owner.client.get("/v1/analytics/trends", params={"weeks": weeks})
        assert resp.status_code == 422, (weeks, resp.text)
    assert len(fake_state.seen_at("GET", "/internal/analytics/trends")) == before
