"""The service with the OpenAI coach: the real SDK, configured by settings, against the local
Chat Completions stub (tests/openai_stub.py) — success, a 429, and replies that never parse."""

from __future__ import annotations

from typing import Any

import pytest

from .support import (
    RunningScore,
    TopicReader,
    Transcripts,
    new_org,
    running_score,
    score_call_via_bus,
    score_settings,
)


@pytest.fixture(scope="module")
async def score(
    kafka_bootstrap: str,
    database_url: str,
    s3_settings: dict[str, Any],
    _openai_stub_server: Any,
):
    settings = score_settings(
        kafka_bootstrap,
        database_url,
        s3_settings,
        openai_api_key=_openai_stub_server.api_key,
        openai_base_url=_openai_stub_server.base_url,
        openai_model="gpt-4o-mini",
        openai_timeout_seconds=10,
        openai_http_attempts=3,
        openai_retry_initial_seconds=0,
        openai_retry_max_seconds=0,
        openai_reply_attempts=2,
    )
    async with running_score(settings) as svc:
        yield svc


async def scored_with_openai(
    score: RunningScore, kafka_bootstrap: str, transcripts: Transcripts, scored: TopicReader
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    org = new_org()
    call_id, event = await score_call_via_bus(score, kafka_bootstrap, transcripts, scored, org)
    body = (await score.score_of(org, call_id)).json()
    return org, call_id, event.data, body


async def test_feedback_comes_from_openai_when_a_key_is_configured(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    scored: TopicReader,
    openai_stub: Any,
    recorded_coach_reply: dict[str, Any],
) -> None:
    _, _, announced, body = await scored_with_openai(score, kafka_bootstrap, transcripts, scored)

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


async def test_a_429_is_retried_and_the_feedback_still_comes_from_openai(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    scored: TopicReader,
    openai_stub: Any,
) -> None:
    openai_stub.use_mode("rate_limit_then_success")

    _, _, announced, body = await scored_with_openai(score, kafka_bootstrap, transcripts, scored)

    assert (announced["engine"], body["engine"], body["fallback_reason"]) == (
        "openai",
        "openai",
        None,
    )
    assert len(openai_stub.requests) == 2


async def test_malformed_replies_fall_back_to_the_local_engine_and_say_so(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    scored: TopicReader,
    openai_stub: Any,
) -> None:
    openai_stub.use_mode("always_malformed")

    _, _, announced, body = await scored_with_openai(score, kafka_bootstrap, transcripts, scored)

    assert announced["engine"] == "local"
    assert body["engine"] == "local"
    assert "attempt 1: reply failed the schema" in body["fallback_reason"]
    assert "attempt 2: reply failed the schema" in body["fallback_reason"]
    assert body["feedback"]["fallback_reason"] == body["fallback_reason"]
    assert body["feedback"]["strengths"] or body["feedback"]["improvements"]
    assert len(openai_stub.requests) == 2


async def test_rate_limits_that_never_end_still_score_the_call_locally(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    scored: TopicReader,
    openai_stub: Any,
) -> None:
    openai_stub.use_mode("always_rate_limited")

    _, _, announced, body = await scored_with_openai(score, kafka_bootstrap, transcripts, scored)

    assert (body["engine"], body["fallback_reason"]) == ("local", "OpenAI answered HTTP 429")
    assert body["scorecard"]["name"] == "MEDDIC"
    assert announced["overall_score"] == body["overall_score"]
    assert len(openai_stub.requests) == 3


async def test_a_role_correction_asks_the_coach_again(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    scored: TopicReader,
    openai_stub: Any,
) -> None:
    org, call_id, _, _ = await scored_with_openai(score, kafka_bootstrap, transcripts, scored)
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
