"""Slack alert rules: which call outcomes an organization wants in which channel, and the
Block Kit message that says so.

A rule is one of: the call scored below a threshold (``score_below``), the call
mentions a tracker (``tracker_hit``, e.g. a competitor's name), the call failed
(``call_failed``). The message carries the key figures and a link to the call, never a
name, an email or transcript text (Slack is outside Clashtor's erasure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

RuleKind = Literal["score_below", "tracker_hit", "call_failed"]
RULE_KINDS: tuple[str, ...] = ("score_below", "tracker_hit", "call_failed")


@dataclass(frozen=True)
class Outcome:
    """What happened to a call, as the events tell it."""

    call_id: str
    link: str
    score: float | None = None
    scorecard: str | None = None
    trackers: tuple[str, ...] = ()
    failed_stage: str | None = None
    failure_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.failed_stage is not None


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    threshold: float | None = None
    tracker: str | None = None


def matches(rule: RuleSpec, outcome: Outcome) -> bool:
    if rule.kind == "call_failed":
        return outcome.failed
    if outcome.failed:
        return False
    if rule.kind == "score_below":
        return (
            outcome.score is not None
            and rule.threshold is not None
            and outcome.score < rule.threshold
        )
    if rule.kind == "tracker_hit":
        wanted = (rule.tracker or "").casefold()
        return any(t.casefold() == wanted for t in outcome.trackers)
    return False


def headline(rule: RuleSpec, outcome: Outcome) -> str:
    if rule.kind == "call_failed":
        return f"A call could not be processed ({outcome.failed_stage})"
    if rule.kind == "tracker_hit":
        return f"A call mentioned {rule.tracker}"
    return f"A call scored {outcome.score:g}, below {rule.threshold:g}"


def message(rule: RuleSpec, outcome: Outcome) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the Block Kit blocks of one alert."""
    title = headline(rule, outcome)
    fields = []
    if outcome.score is not None:
        fields.append({"type": "mrkdwn", "text": f"*Score*\n{outcome.score:g}"})
    if outcome.scorecard:
        fields.append({"type": "mrkdwn", "text": f"*Scorecard*\n{outcome.scorecard}"})
    if outcome.trackers:
        fields.append({"type": "mrkdwn", "text": "*Trackers*\n" + ", ".join(outcome.trackers)})
    if outcome.failed:
        fields.append({"type": "mrkdwn", "text": f"*Reason*\n{outcome.failure_reason or '-'}"})
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the call"},
                    "url": outcome.link,
                }
            ],
        }
    )
    return f"{title}: {outcome.link}", blocks
