"""Coaching on a call: comments pinned to a moment, threads, mentions, and a manager's
item-by-item review of the automatic scorecard.

A comment's body is structured, not free text to parse: a list of segments, each either
``{"type": "text", "text": ...}`` or ``{"type": "mention", "user_id": ...}``. Whom a
comment mentions is read from its mention segments, never guessed from an ``@`` in text.

A review overrides an item's automatic score (0–1) with a reason; the call's score
becomes the weighted mean with the overridden items' scores in place of the automatic
ones, and the automatic value stays beside it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from clashtor_common.domain_errors import Forbidden, InvalidInput
from clashtor_common.identity import Identity

MAX_SEGMENTS = 200
MAX_BODY_CHARS = 5000
MAX_MENTIONS = 20
MAX_REASON_CHARS = 1000
#: Roles that may review (override) a call's scorecard.
REVIEWERS = frozenset({"owner", "admin", "manager"})

UserId = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class TextSegment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=MAX_BODY_CHARS)


class MentionSegment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["mention"] = "mention"
    user_id: UserId


Segment = Annotated[TextSegment | MentionSegment, Field(discriminator="type")]


class CommentBody(BaseModel):
    """What a comment says: text and mentions, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    segments: list[Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)

    @model_validator(mode="after")
    def _says_something(self) -> CommentBody:
        text = sum(len(s.text) for s in self.segments if isinstance(s, TextSegment))
        if text > MAX_BODY_CHARS:
            raise ValueError(f"a comment's text is limited to {MAX_BODY_CHARS} characters")
        if not any(isinstance(s, MentionSegment) or s.text.strip() for s in self.segments):
            raise ValueError("a comment needs some text or a mention")
        if len(self.mentions()) > MAX_MENTIONS:
            raise ValueError(f"a comment mentions at most {MAX_MENTIONS} people")
        return self

    def mentions(self) -> list[str]:
        """The mentioned user ids, each once, in order of first mention."""
        return list(
            dict.fromkeys(s.user_id for s in self.segments if isinstance(s, MentionSegment))
        )


def check_moment(at_seconds: float, duration: float | None) -> None:
    """A comment is pinned inside the call: 0 ≤ at_seconds ≤ its duration."""
    if at_seconds < 0:
        raise InvalidInput("at_seconds must be 0 or more", "at_seconds_out_of_range")
    if duration is not None and at_seconds > duration + 0.5:
        raise InvalidInput(
            f"at_seconds {at_seconds:g} is after the end of the call ({duration:.1f} s)",
            "at_seconds_out_of_range",
        )


def check_can_review(identity: Identity, uploader_id: str) -> None:
    """Managers, admins and owners review calls; nobody reviews their own call."""
    if identity.role not in REVIEWERS:
        raise Forbidden(
            f"role {identity.role!r} cannot review a scorecard (owner, admin or manager can)"
        )
    if identity.user_id == uploader_id:
        raise Forbidden("nobody can override the score of their own call", "own_call")


def check_item(scorecard: Mapping[str, Any] | None, item_key: str) -> None:
    keys = [str(i.get("key")) for i in (scorecard or {}).get("items") or []]
    if item_key not in keys:
        raise InvalidInput(
            f"the call's scorecard has no item {item_key!r}; its items: {', '.join(keys) or 'none'}",
            "unknown_item",
        )


def effective_overall(
    scorecard: Mapping[str, Any] | None, overrides: Mapping[str, float] | None
) -> float | None:
    """The weighted mean (0–100) with overridden items' scores in place of the automatic."""
    items = (scorecard or {}).get("items") or []
    if not items:
        return None if scorecard is None else scorecard.get("overall")
    overrides = overrides or {}
    total = sum(float(i.get("weight") or 1.0) for i in items)
    earned = sum(
        float(i.get("weight") or 1.0) * float(overrides.get(str(i.get("key")), i.get("score", 0)))
        for i in items
    )
    return round(100.0 * earned / total, 1) if total else None


def reviewed_scorecard(
    scorecard: Mapping[str, Any] | None,
    overrides: Sequence[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """The scorecard result as shown: each overridden item's ``score`` is the reviewer's,
    with ``automatic_score`` and the ``override`` (who, when, why) beside it; ``overall``
    is the effective score and ``automatic_overall`` the engine's."""
    if scorecard is None:
        return None
    by_item = {str(o["item"]): o for o in overrides}
    items = []
    for item in scorecard.get("items") or []:
        shown = dict(item)
        shown["automatic_score"] = item.get("score")
        review = by_item.get(str(item.get("key")))
        shown["override"] = review
        if review is not None:
            shown["score"] = review["score"]
        items.append(shown)
    applied = {k: float(v["score"]) for k, v in by_item.items()}
    return {
        **scorecard,
        "items": items,
        "automatic_overall": scorecard.get("overall"),
        "overall": effective_overall(scorecard, applied),
        "reviewed": bool(set(applied) & {str(i.get("key")) for i in items}),
    }


# comment list cursors ----------------------------------------------------------------------
def encode_cursor(at_seconds: float, created_at: datetime, comment_id: str) -> str:
    raw = json.dumps([at_seconds, created_at.isoformat(), comment_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, datetime, str]:
    """The (moment, created at, id) to resume after; 422 for a forged cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, created, ident = json.loads(raw)
        return float(at), datetime.fromisoformat(created), str(ident)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not one this list gave out", "invalid_cursor") from exc
