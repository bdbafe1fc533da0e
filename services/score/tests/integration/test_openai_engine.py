"""The service with the OpenAI coach: the real SDK, configured by settings, against the local
Chat Completions stub (tests/openai_stub.py) — success, a 429, and replies that never parse."""

from __future__ import annotations

from typing import Any

import pytest

from .support import BusCalls, RunningScore, new_org


@pytest.fixture(scope="module")
def score_overrides(_openai_stub_server: Any) -> dict[str, Any]:
    return {
        "openai_api_key": _openai_stub_server.api_key,
        "openai_base_url": _openai_stub_server.base_url,
        "openai_model": "gpt-4o-mini",
        "openai_timeout_seconds": 10,
        "openai_http_attempts": 3,
        "openai_retry_initial_seconds": 0,
        "openai_retry_max_seconds": 0,
        "openai_reply_attempts": 2,
    }


async def scored_with_openai(
    score: RunningScore, bus: BusCalls
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    org = new_org()
    call_id, event = await bus.score(org)
    body = (await score.score_of(org, call_id)).json()
    return org, call_id, event.data, body


async def test_feedback_comes_from_openai_when_a_key_is_configured(
    score: RunningScore, bus: BusCalls, openai_stub: Any, recorded_coach_reply: dict[str, Any]
) -> None:
    _, _, announced, body = await scored_with_openai(score, bus)

    assert announced["engine"] == "openai"
    assert (body["engine"], body["model"], body["fallback_reason"]) == (
        "openai",
        "gpt-4o-mini",
        None,
    )
    assert [p["text"] for p in body["feedback"]["strengths"]] == [
        p["text"] for p in recorded_coach_reply["strengths"]
    ]
    [quote] = body["feedback"]["strengths"][0]["evidence"]
    assert (quote["kind"], quote["speaker"], quote["role"]) == ("quote", 0, "rep")
    [request] = openai_stub.requests
    assert request.headers["authorization"] == f"Bearer {openai_stub.api_key}"
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert (
        "CUSTOMER (speaker 1): Honestly it is all manual."
        in request.body["messages"][-1]["content"]
    )


@pytest.mark.parametrize(
    ("mode", "engine", "reasons", "requests"),
    [
        pytest.param("rate_limit_then_success", "openai", [], 2, id="a 429 is retried"),
        pytest.param(
            "always_malformed",
            "local",
            ["attempt 1: reply failed the schema", "attempt 2: reply failed the schema"],
            2,
            id="replies that never parse fall back",
        ),
        pytest.param(
            "always_rate_limited",
            "local",
            ["OpenAI answered HTTP 429"],
            3,
            id="rate limits that never end fall back",
        ),
    ],
)
async def test_provider_trouble_is_retried_then_the_call_is_scored_locally_and_says_why(
    score: RunningScore,
    bus: BusCalls,
    openai_stub: Any,
    mode: str,
    engine: str,
    reasons: list[str],
    requests: int,
) -> None:
    openai_stub.use_mode(mode)

    _, _, announced, body = await scored_with_openai(score, bus)

    assert (announced["engine"], body["engine"]) == (engine, engine)
    assert announced["overall_score"] == body["overall_score"]
    assert body["scorecard"]["name"] == "MEDDIC"
    assert body["feedback"]["strengths"] or body["feedback"]["improvements"]
    if reasons:
        assert all(reason in body["fallback_reason"] for reason in reasons)
        assert body["feedback"]["fallback_reason"] == body["fallback_reason"]
    else:
        assert body["fallback_reason"] is None
    assert len(openai_stub.requests) == requests


async def test_a_role_correction_asks_the_coach_again(
    score: RunningScore, bus: BusCalls, openai_stub: Any
) -> None:
    org, call_id, _, _ = await scored_with_openai(score, bus)
    openai_stub.requests.clear()

    resp = await score.client.put(
        f"/internal/scores/{call_id}/roles",
        json={"roles": {"0": "rep", "1": "customer"}},
        headers=score.as_member(org),
    )

    assert resp.status_code == 200
    assert resp.json()["engine"] == "openai"
    [request] = openai_stub.requests
    assert "REP (speaker 0)" in request.body["messages"][-1]["content"]
