"""Coaching feedback from OpenAI (structured outputs), falling back to the local engine.

The model gets the call's computed facts (metrics against their ranges, scorecard,
tracker counts) and the transcript, and must answer in the ``CoachReply`` JSON schema
(``chat.completions.parse`` with a pydantic ``response_format``: strict structured
outputs). Its evidence is checked, not trusted: every quote must be a contiguous run of
words of the transcript (its time and speaker are then taken from the transcript), and
every metric must be one we computed (its value and range are ours, not the model's).

Failure handling:
- 429, 5xx, timeouts and connection errors are retried by tenacity with backoff (the
  SDK's own retries are off, so there is one retry policy), honouring ``Retry-After``;
- a reply that fails the schema, refuses, or cites evidence not in the call is asked
  for again, up to ``reply_attempts`` times;
- whatever still fails — or a non-retryable error such as 401 — gives the local
  engine's feedback with ``engine="local"`` and a ``fallback_reason`` saying why.

Settings come in as parameters: nothing here reads the environment.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import openai
import pydantic
from openai import OpenAI
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from score.domain.coaching import (
    MAX_POINTS_PER_SECTION,
    Coach,
    CoachingContext,
    Feedback,
    FeedbackPoint,
    LocalCoach,
    local_feedback,
)
from score.domain.evidence import Evidence, QuoteEvidence, metric_evidence
from score.domain.metrics import METRIC_NAMES
from score.domain.types import format_clock

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAICoachSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr
    model: str = "gpt-4o-mini"
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    http_attempts: int = Field(default=4, ge=1, description="tries per request on 429/5xx/network")
    retry_initial_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=30.0, ge=0)
    reply_attempts: int = Field(default=2, ge=1, description="requests for a reply that validates")
    max_transcript_chars: int = Field(default=120_000, ge=1_000)
    temperature: float | None = Field(default=0.2, ge=0, le=2)


# The reply schema the model must follow. Kept flat and free of defaults so it is a
# valid strict JSON schema; counts and cross-checks are enforced after parsing.
class ReplyPoint(BaseModel):
    text: str = Field(description="one concrete, actionable sentence for the rep")
    quotes: list[str] = Field(
        description="verbatim, contiguous excerpts (3-25 words) of the transcript"
    )
    metrics: list[str] = Field(description="names of metrics this point is about")


class CoachReply(BaseModel):
    strengths: list[ReplyPoint]
    improvements: list[ReplyPoint]
    next_steps: list[ReplyPoint]


class InvalidCoachReply(ValueError):
    """A reply that parsed but cannot be shown: missing or unverifiable evidence."""


_RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, _RETRYABLE):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


SYSTEM_PROMPT = """\
You are a sales coach reviewing one recorded sales call for the sales rep.
Give specific feedback in three lists: strengths, improvements, next_steps
(at most {max_points} points each). Every point must cite evidence:
- "quotes": exact excerpts copied word for word from ONE transcript line
  (3 to 25 consecutive words, no ellipses, no paraphrase), and/or
- "metrics": names from the metrics table, exactly as written there.
A point without evidence, or with a quote that is not in the transcript, is rejected.
Base judgements on the metrics' recommended ranges and the scorecard results given.
"""


class OpenAICoach:
    """``Coach`` backed by the OpenAI Chat Completions API with structured outputs."""

    def __init__(self, settings: OpenAICoachSettings, *, client: OpenAI | None = None) -> None:
        self.settings = settings
        self.client = client or OpenAI(
            api_key=settings.api_key.get_secret_value(),
            base_url=settings.base_url,
            timeout=openai.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            max_retries=0,
        )
        self._local = LocalCoach()

    def close(self) -> None:
        self.client.close()

    def coach(self, context: CoachingContext) -> Feedback:
        messages = build_messages(context, self.settings.max_transcript_chars)
        problems: list[str] = []
        for attempt in range(1, self.settings.reply_attempts + 1):
            try:
                completion = self._request(messages)
            except openai.APIStatusError as error:
                return self._fallback(context, f"OpenAI answered HTTP {error.status_code}")
            except (openai.APITimeoutError, openai.APIConnectionError) as error:
                return self._fallback(context, f"OpenAI unreachable: {type(error).__name__}")
            except (
                pydantic.ValidationError,
                json.JSONDecodeError,
                openai.LengthFinishReasonError,
                openai.ContentFilterFinishReasonError,
            ) as error:
                problems.append(f"attempt {attempt}: reply failed the schema ({_brief(error)})")
                continue
            message = completion.choices[0].message
            if message.refusal or message.parsed is None:
                problems.append(f"attempt {attempt}: no parsed reply (refusal: {message.refusal})")
                continue
            try:
                feedback = to_feedback(message.parsed, context, model=completion.model)
            except InvalidCoachReply as error:
                problems.append(f"attempt {attempt}: {error}")
                continue
            return feedback
        return self._fallback(context, "; ".join(problems))

    def _request(self, messages: list[dict[str, str]]) -> Any:
        retrying = Retrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self.settings.http_attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=lambda state: log.warning(
                "openai coach: retrying after %s", state.outcome and state.outcome.exception()
            ),
        )
        extra: dict[str, Any] = {}
        if self.settings.temperature is not None:
            extra["temperature"] = self.settings.temperature
        return retrying(
            self.client.chat.completions.parse,
            model=self.settings.model,
            messages=messages,
            response_format=CoachReply,
            **extra,
        )

    def _wait(self, state: RetryCallState) -> float:
        """``Retry-After`` from the server when it sends one (capped), else backoff."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, openai.APIStatusError):
            header = error.response.headers.get("retry-after")
            try:
                if header is not None:
                    return min(max(float(header), 0.0), self.settings.retry_max_s)
            except ValueError:
                pass
        backoff = wait_exponential(
            multiplier=self.settings.retry_initial_s,
            min=self.settings.retry_initial_s,
            max=self.settings.retry_max_s,
        )
        return float(backoff(state))

    def _fallback(self, context: CoachingContext, reason: str) -> Feedback:
        log.warning("openai coach: falling back to the local engine: %s", reason)
        return local_feedback(context, fallback_reason=reason)


def make_coach(
    api_key: str | None,
    *,
    model: str = "gpt-4o-mini",
    base_url: str | None = None,
    timeout_s: float = 60.0,
    **overrides: Any,
) -> Coach:
    """The OpenAI coach when an API key is configured, the local engine otherwise."""
    if not api_key:
        return LocalCoach()
    settings = OpenAICoachSettings(
        api_key=SecretStr(api_key),
        model=model,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout_s=timeout_s,
        **overrides,
    )
    return OpenAICoach(settings)


def build_messages(context: CoachingContext, max_transcript_chars: int) -> list[dict[str, str]]:
    facts = {
        "metrics": {
            name: {
                "value": m.value,
                "unit": m.unit,
                "recommended_min": m.recommended_min,
                "recommended_max": m.recommended_max,
                "in_range": m.in_range,
            }
            for name, m in context.metrics.named()
        },
        "scorecard": None
        if context.scorecard is None
        else {
            "name": context.scorecard.name,
            "overall": context.scorecard.overall,
            "items": [
                {"key": i.key, "question": i.question, "score": i.score, "status": i.status}
                for i in context.scorecard.items
            ],
        },
        "tracker_hits": _tracker_counts(context),
    }
    lines, used = [], 0
    for u in context.transcript.utterances:
        role = context.roles.get(u.speaker, "customer").upper()
        line = f"[{format_clock(u.start)}] {role} (speaker {u.speaker}): {u.text}"
        if used + len(line) > max_transcript_chars:
            lines.append("[transcript truncated]")
            break
        lines.append(line)
        used += len(line) + 1
    user = (
        "Call facts (JSON):\n"
        + json.dumps(facts, ensure_ascii=False)
        + "\n\nTranscript:\n"
        + "\n".join(lines)
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(max_points=MAX_POINTS_PER_SECTION)},
        {"role": "user", "content": user},
    ]


def _tracker_counts(context: CoachingContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hit in context.tracker_hits:
        counts[hit.tracker] = counts.get(hit.tracker, 0) + 1
    return counts


def to_feedback(reply: CoachReply, context: CoachingContext, *, model: str) -> Feedback:
    """Turn a parsed reply into ``Feedback``, verifying every piece of evidence."""

    def points(section: str, replies: list[ReplyPoint]) -> list[FeedbackPoint]:
        return [_to_point(p, context, section) for p in replies[:MAX_POINTS_PER_SECTION]]

    strengths = points("strengths", reply.strengths)
    improvements = points("improvements", reply.improvements)
    next_steps = points("next_steps", reply.next_steps)
    if not (strengths or improvements or next_steps):
        raise InvalidCoachReply("reply has no feedback points")
    return Feedback(
        engine="openai",
        model=model,
        strengths=strengths,
        improvements=improvements,
        next_steps=next_steps,
    )


def _to_point(point: ReplyPoint, context: CoachingContext, section: str) -> FeedbackPoint:
    if not point.text.strip():
        raise InvalidCoachReply(f"a point in {section} has no text")
    evidence: list[Evidence] = []
    for quote in point.quotes:
        found = context.index.locate(quote)
        if found is None:
            raise InvalidCoachReply(f"quote not found in the transcript: {quote[:80]!r}")
        evidence.append(
            QuoteEvidence(
                quote=found.quote, time=found.time, speaker=found.speaker, role=found.role
            )
        )
    for name in point.metrics:
        if name not in METRIC_NAMES:
            raise InvalidCoachReply(f"unknown metric {name!r} in {section}")
        evidence.append(metric_evidence(name, context.metrics.metric(name)))
    if not evidence:
        raise InvalidCoachReply(f"point without evidence in {section}: {point.text[:80]!r}")
    return FeedbackPoint(text=point.text.strip(), evidence=evidence)


def _brief(error: BaseException) -> str:
    if isinstance(error, pydantic.ValidationError):
        return f"{error.error_count()} validation error(s)"
    return type(error).__name__
