"""Who is the rep and who is the customer, for every speaker label of a call.

Speaker labels say "same voice", not "who". The mapping is decided, per speaker, by the
strongest evidence available:

1. ``override`` — a user's explicit correction always wins.
2. ``channel`` — stereo recordings put one party per channel; the uploader (a rep) is on
   ``uploader_channel`` (channel 0 unless told otherwise), everyone else is a customer.
3. ``participants`` — a participant entry that names its speaker label or channel.
4. ``content`` — what people say: the rep introduces the company, pitches, and asks the
   discovery questions. Speakers are ranked by that and the top ones are reps; how many
   reps there are comes from the participant list (one by default). With no cue at all
   the first speaker is taken as the rep, since reps usually open their own calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from clashtor_common.events.transcript import Transcript
from score.domain.lexicon import count_questions
from score.domain.phrases import TranscriptIndex
from score.domain.types import Role, ScoringInputError

RoleBasis = Literal["override", "channel", "participants", "content", "first_speaker"]

REP_CUES = (
    "calling from",
    "i'm with",
    "here at",
    "our product",
    "our platform",
    "our solution",
    "our customers",
    "our clients",
    "our pricing",
    "our team can",
    "we help",
    "we work with",
    "let me show you",
    "i can show you",
    "i'll show you",
    "share my screen",
    "walk you through",
    "thanks for taking the time",
    "thanks for making the time",
    "thank you for your time",
    "tell me about",
    "tell me more about",
    "what does your",
    "how does your",
    "how do you currently",
)
"""Things reps say far more often than customers: introductions, pitch and discovery."""

CUE_WEIGHT = 2
"""A pitch or introduction phrase counts as much as two questions."""


class ParticipantLike(Protocol):
    @property
    def role(self) -> str: ...


class Participant(BaseModel):
    """A participant as the score service knows them: a role, optionally pinned."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Role
    speaker: int | None = None
    channel: int | None = None


class RoleAssignment(BaseModel):
    model_config = ConfigDict(frozen=True)

    roles: dict[int, Role]
    basis: dict[int, RoleBasis]


def assign_roles(
    transcript: Transcript,
    participants: Sequence[ParticipantLike] = (),
    uploader_channel: int | None = None,
    override: Mapping[int, str] | None = None,
) -> dict[int, Role]:
    """Map every speaker label that speaks in ``transcript`` to ``"rep"`` or ``"customer"``."""
    return explain_roles(transcript, participants, uploader_channel, override).roles


def explain_roles(
    transcript: Transcript,
    participants: Sequence[ParticipantLike] = (),
    uploader_channel: int | None = None,
    override: Mapping[int, str] | None = None,
) -> RoleAssignment:
    """Like :func:`assign_roles`, and says for each speaker which rule decided."""
    speakers = sorted({u.speaker for u in transcript.utterances})
    roles: dict[int, Role] = {}
    basis: dict[int, RoleBasis] = {}

    for speaker, role in _validated_override(transcript, override).items():
        roles[speaker], basis[speaker] = role, "override"

    channel_of = _channel_of_speaker(transcript)
    if transcript.channels >= 2 and channel_of:
        rep_channel = 0 if uploader_channel is None else uploader_channel
        for speaker in speakers:
            if speaker not in roles and speaker in channel_of:
                roles[speaker] = "rep" if channel_of[speaker] == rep_channel else "customer"
                basis[speaker] = "channel"

    pinned = [_participant(p) for p in participants]
    for participant in pinned:
        for speaker in speakers:
            if speaker in roles:
                continue
            if participant.speaker == speaker or (
                participant.channel is not None and channel_of.get(speaker) == participant.channel
            ):
                roles[speaker], basis[speaker] = participant.role, "participants"

    undecided = [s for s in speakers if s not in roles]
    if undecided:
        _assign_by_content(transcript, undecided, pinned, roles, basis)
    return RoleAssignment(roles=roles, basis=basis)


def _validated_override(
    transcript: Transcript, override: Mapping[int, str] | None
) -> dict[int, Role]:
    if not override:
        return {}
    checked: dict[int, Role] = {}
    for speaker, role in override.items():
        try:
            label = int(speaker)
        except (TypeError, ValueError):
            raise ScoringInputError(f"role override: speaker {speaker!r} is not a number") from None
        if not 0 <= label < max(transcript.speakers, 1):
            raise ScoringInputError(
                f"role override: speaker {label} is not in this call "
                f"(speakers 0–{max(transcript.speakers - 1, 0)})"
            )
        if role not in ("rep", "customer"):
            raise ScoringInputError(
                f"role override: speaker {label} has role {role!r}; allowed: 'rep', 'customer'"
            )
        checked[label] = role  # type: ignore[assignment]
    return checked


def _participant(p: ParticipantLike) -> Participant:
    if isinstance(p, Participant):
        return p
    if p.role not in ("rep", "customer"):
        raise ScoringInputError(f"participant role {p.role!r}; allowed: 'rep', 'customer'")
    return Participant(
        role=p.role,  # type: ignore[arg-type]
        speaker=getattr(p, "speaker", None),
        channel=getattr(p, "channel", None),
    )


def _channel_of_speaker(transcript: Transcript) -> dict[int, int]:
    """The channel each speaker mostly talks on (speech time), for stereo recordings."""
    seconds: dict[int, dict[int, float]] = {}
    for u in transcript.utterances:
        if u.channel is not None:
            per_channel = seconds.setdefault(u.speaker, {})
            per_channel[u.channel] = per_channel.get(u.channel, 0.0) + max(u.end - u.start, 1e-6)
    return {s: max(c, key=lambda ch: (c[ch], -ch)) for s, c in seconds.items()}


def rep_likeness(transcript: Transcript) -> dict[int, int]:
    """Per speaker: pitch/introduction phrases × CUE_WEIGHT + questions asked."""
    index = TranscriptIndex(transcript, {})
    score: Counter[int] = Counter({u.speaker: 0 for u in transcript.utterances})
    for match in index.find(REP_CUES):
        score[match.speaker] += CUE_WEIGHT
    for u in transcript.utterances:
        score[u.speaker] += count_questions(u.text)
    return dict(score)


def _assign_by_content(
    transcript: Transcript,
    undecided: list[int],
    participants: list[Participant],
    roles: dict[int, Role],
    basis: dict[int, RoleBasis],
) -> None:
    listed_reps = sum(1 for p in participants if p.role == "rep")
    reps_needed = max(listed_reps, 1) - sum(1 for r in roles.values() if r == "rep")
    if reps_needed <= 0:
        for speaker in undecided:
            roles[speaker] = "customer"
            basis[speaker] = "participants" if participants else "content"
        return
    if listed_reps and len(undecided) > 1 and any(p.role == "customer" for p in participants):
        reps_needed = min(reps_needed, len(undecided) - 1)
    first_turn: dict[int, float] = {}
    for u in sorted(transcript.utterances, key=lambda u: u.start):
        first_turn.setdefault(u.speaker, u.start)
    likeness = rep_likeness(transcript)
    ranked = sorted(undecided, key=lambda s: (-likeness.get(s, 0), first_turn.get(s, 0.0), s))
    for position, speaker in enumerate(ranked):
        roles[speaker] = "rep" if position < reps_needed else "customer"
        basis[speaker] = "content" if likeness.get(ranked[0], 0) > 0 else "first_speaker"
