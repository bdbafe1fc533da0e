"""Build transcripts with exactly known timings: for specification tests and benchmarks.

``build_transcript`` turns lines of ``(speaker, start, end, text)`` into a real
``Transcript``, spreading each line's words evenly over its time span, so every metric
of the result can be worked out by hand. ``synthetic_sales_call`` makes a long,
realistic-looking discovery call (deterministic for a seed) for the benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from clashtor_common.events.transcript import Transcript, Utterance, Word


@dataclass(frozen=True)
class Line:
    speaker: int
    start: float
    end: float
    text: str
    channel: int | None = None


def build_transcript(
    lines: Sequence[Line | tuple[int, float, float, str]],
    *,
    duration: float | None = None,
    channels: int = 1,
    speakers: int | None = None,
    language: str = "en",
) -> Transcript:
    """A transcript whose utterances are exactly ``lines``.

    Each word of a line gets an equal slice of the line's span, in order. ``duration``
    defaults to the end of the last line; ``speakers`` to the highest label + 1.
    """
    utterances = []
    for raw in lines:
        line = raw if isinstance(raw, Line) else Line(*raw)
        tokens = line.text.split()
        step = (line.end - line.start) / len(tokens) if tokens else 0.0
        words = [
            Word(
                word=token,
                start=round(line.start + i * step, 6),
                end=round(line.start + (i + 1) * step, 6),
                speaker=line.speaker,
            )
            for i, token in enumerate(tokens)
        ]
        utterances.append(
            Utterance(
                speaker=line.speaker,
                channel=line.channel,
                start=line.start,
                end=line.end,
                text=line.text,
                words=words,
            )
        )
    labels = {u.speaker for u in utterances}
    return Transcript(
        language=language,
        engine="local",
        model="synthetic",
        duration=duration if duration is not None else max((u.end for u in utterances), default=0),
        channels=channels,
        utterances=utterances,
        speakers=speakers if speakers is not None else (max(labels) + 1 if labels else 0),
    )


REP_SENTENCES = (
    "Thanks for taking the time today.",
    "I'm with Clashtor, we help sales teams coach every call.",
    "Tell me about how your team runs discovery today?",
    "What is the biggest challenge with ramping new reps?",
    "How do you measure success for the team this year?",
    "Who else is involved in a decision like this?",
    "Let me show you how the scorecard works.",
    "Our customers usually see ramp time drop within a quarter.",
    "What would need to be true for this to be a priority?",
    "Um, so the pricing is per seat, per month.",
    "Does that match what you had in mind?",
    "Shall we set up a call next week as the next step?",
)

CUSTOMER_SENTENCES = (
    "Right now it is all manual and it takes too long.",
    "We have twelve reps and onboarding is frustrating.",
    "Our budget for tooling is set at the start of the fiscal year.",
    "My boss has the final say, and procurement needs to approve it.",
    "We looked at a competitor last year but it was too expensive.",
    "We need something live by the end of next quarter.",
    "I'm concerned about the time it takes to roll out.",
    "Honestly we lose deals because calls are never reviewed.",
    "How much does it cost for a team our size?",
    "That sounds useful, I can share this with my team.",
)


def synthetic_sales_call(minutes: float = 60.0, *, seed: int = 7) -> Transcript:
    """A two-party discovery call of ``minutes`` length, deterministic for a ``seed``.

    Rep turns run 8–45 s, customer turns 5–40 s, separated by 0.3–1.5 s pauses, at
    ~150 words per minute, drawing sentences that hit the default trackers and the
    MEDDIC/BANT cues. A 60-minute call (seed 7) has ~950 utterances and ~8700 words.
    """
    rng = random.Random(seed)
    total = minutes * 60.0
    lines: list[Line] = []
    t, speaker = 0.5, 0
    while True:
        length = rng.uniform(8, 45) if speaker == 0 else rng.uniform(5, 40)
        if t + length > total:
            break
        bank = REP_SENTENCES if speaker == 0 else CUSTOMER_SENTENCES
        words: list[str] = []
        target = max(3, round(length * 2.5))
        while len(words) < target:
            words.extend(rng.choice(bank).split())
        words = words[:target]
        # A turn is several utterances (engines cut at sentence-like pauses).
        cursor, start = 0, t
        while cursor < len(words):
            chunk = words[cursor : cursor + rng.randint(6, 14)]
            cursor += len(chunk)
            end = t + length * cursor / len(words)
            lines.append(Line(speaker, round(start, 3), round(end, 3), " ".join(chunk)))
            start = end
        t += length + rng.uniform(0.3, 1.5)
        speaker = 1 - speaker
    return build_transcript(lines, duration=total, speakers=2)
