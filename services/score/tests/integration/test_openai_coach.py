"""The OpenAI coach through the real SDK against the local stub of the Chat Completions API."""

from __future__ import annotations

import copy

import pytest
from pydantic import SecretStr

from score.adapters.openai_coach import OpenAICoach, OpenAICoachSettings, make_coach
from score.domain.coaching import LocalCoach
from score.domain.evidence import MetricEvidence, QuoteEvidence
from score.domain.scorecard_templates import meddic_template
from score.domain.scoring import score_call

from .support import DISCOVERY_CALL

ROLES = {0: "rep", 1: "customer"}


@pytest.fixture
def coach(openai_stub):
    settings = OpenAICoachSettings(
        api_key=SecretStr(openai_stub.api_key),
        model="gpt-4o-mini",
        base_url=openai_stub.base_url,
        timeout_s=5,
        http_attempts=3,
        retry_initial_s=0,
        retry_max_s=0,
        reply_attempts=2,
    )
    coach = OpenAICoach(settings)
    yield coach
    coach.close()


def feedback_from(coach):
    return score_call(
        DISCOVERY_CALL, role_override=ROLES, scorecard=meddic_template(), coach=coach
    ).feedback


def test_a_valid_structured_reply_becomes_feedback_from_openai(coach, openai_stub):
    feedback = feedback_from(coach)
    assert (feedback.engine, feedback.model, feedback.fallback_reason) == (
        "openai",
        "gpt-4o-mini",
        None,
    )
    assert [p.text for p in feedback.strengths] == [
        "You opened discovery with a sharp question about their biggest challenge.",
        "You let the customer finish before answering.",
    ]
    assert len(openai_stub.requests) == 1


def test_quote_evidence_takes_its_time_and_speaker_from_the_transcript(coach):
    feedback = feedback_from(coach)
    [quote] = feedback.strengths[0].evidence
    assert isinstance(quote, QuoteEvidence)
    assert (quote.speaker, quote.role) == (0, "rep")
    assert quote.time == pytest.approx(6 * 12.0 / 15)  # "What", 7th of 15 words over 0–12 s


def test_metric_evidence_uses_our_values_not_the_models(coach):
    feedback = feedback_from(coach)
    metric = feedback.improvements[0].evidence[-1]
    assert isinstance(metric, MetricEvidence)
    expected = score_call(DISCOVERY_CALL, role_override=ROLES).metrics.talk_ratio_rep
    assert (metric.metric, metric.value, metric.recommended_max) == (
        "talk_ratio_rep",
        expected.value,
        0.5,
    )


def test_the_request_uses_strict_structured_outputs_and_the_configured_model(coach, openai_stub):
    feedback_from(coach)
    [request] = openai_stub.requests
    assert request.headers["authorization"] == f"Bearer {openai_stub.api_key}"
    assert request.body["model"] == "gpt-4o-mini"
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "CoachReply"
    assert response_format["json_schema"]["strict"] is True
    user_message = request.body["messages"][-1]["content"]
    assert "[00:13] CUSTOMER (speaker 1): Honestly it is all manual." in user_message
    assert '"talk_ratio_rep"' in user_message


def test_a_429_is_retried_then_succeeds(coach, openai_stub):
    openai_stub.use_mode("rate_limit_then_success")
    feedback = feedback_from(coach)
    assert feedback.engine == "openai"
    assert len(openai_stub.requests) == 2


def test_a_500_is_retried_then_succeeds(coach, openai_stub):
    openai_stub.use_mode("server_error_then_success")
    assert feedback_from(coach).engine == "openai"
    assert len(openai_stub.requests) == 2


def test_a_reply_failing_the_schema_is_asked_again_then_succeeds(coach, openai_stub):
    openai_stub.use_mode("malformed_then_success")
    feedback = feedback_from(coach)
    assert feedback.engine == "openai"
    assert feedback.fallback_reason is None
    assert len(openai_stub.requests) == 2


def test_replies_that_always_fail_the_schema_fall_back_to_local_and_say_so(coach, openai_stub):
    openai_stub.use_mode("always_malformed")
    feedback = feedback_from(coach)
    assert feedback.engine == "local"
    assert "attempt 1: reply failed the schema" in feedback.fallback_reason
    assert "attempt 2: reply failed the schema" in feedback.fallback_reason
    assert len(openai_stub.requests) == 2  # reply_attempts
    local = score_call(
        DISCOVERY_CALL, role_override=ROLES, scorecard=meddic_template(), coach=LocalCoach()
    ).feedback
    assert feedback.strengths == local.strengths
    assert feedback.next_steps == local.next_steps


def test_a_quote_that_is_not_in_the_transcript_is_rejected(
    coach, openai_stub, recorded_coach_reply
):
    invented = copy.deepcopy(recorded_coach_reply)
    invented["strengths"][0]["quotes"] = ["We will sign the contract tomorrow."]
    openai_stub.always_reply(invented)
    feedback = feedback_from(coach)
    assert feedback.engine == "local"
    assert "quote not found in the transcript: 'We will sign the contract tomorrow.'" in (
        feedback.fallback_reason
    )


def test_a_point_without_evidence_is_rejected_then_retried(
    coach, openai_stub, recorded_coach_reply
):
    bare = copy.deepcopy(recorded_coach_reply)
    bare["next_steps"][0]["quotes"] = []
    openai_stub.queue_reply(bare)
    feedback = feedback_from(coach)
    assert feedback.engine == "openai"
    assert len(openai_stub.requests) == 2


def test_rate_limits_that_never_end_fall_back_to_local(coach, openai_stub):
    openai_stub.use_mode("always_rate_limited")
    feedback = feedback_from(coach)
    assert (feedback.engine, feedback.fallback_reason) == ("local", "OpenAI answered HTTP 429")
    assert len(openai_stub.requests) == 3  # http_attempts


def test_a_rejected_api_key_falls_back_without_retrying(openai_stub):
    settings = OpenAICoachSettings(
        api_key=SecretStr("sk-wrong"), base_url=openai_stub.base_url, retry_initial_s=0
    )
    coach = OpenAICoach(settings)
    try:
        feedback = feedback_from(coach)
    finally:
        coach.close()
    assert (feedback.engine, feedback.fallback_reason) == ("local", "OpenAI answered HTTP 401")
    assert len(openai_stub.requests) == 1


def test_without_an_api_key_the_local_engine_is_used():
    assert isinstance(make_coach(None), LocalCoach)
    assert isinstance(make_coach(""), LocalCoach)
    assert isinstance(make_coach("sk-x", base_url="http://127.0.0.1:9/v1"), OpenAICoach)
