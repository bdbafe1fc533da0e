"""Call scripts: who says what, in order, and the built-in sales discovery call.

The default script is a realistic discovery call between a rep (speaker 0) and a
prospect (speaker 1). It deliberately touches every topic the score service tracks
(pricing, budget, timeline, decision maker, competitor, next steps) and has questions
on both sides, so trackers and talk metrics have something real to find.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REP = 0
PROSPECT = 1


@dataclass(frozen=True)
class Turn:
    """One speaker turn. ``pause_after`` overrides the call's default gap (seconds)."""

    speaker: int
    text: str
    pause_after: float | None = None

    def __post_init__(self) -> None:
        if self.speaker not in (0, 1):
            raise ValueError(f"speaker must be 0 or 1, got {self.speaker}")
        if not self.text.strip():
            raise ValueError("a turn needs some text")


SALES_DISCOVERY_CALL: tuple[Turn, ...] = (
    Turn(REP, "Hi Dana, thanks for taking the time today. How is your week going so far?"),
    Turn(PROSPECT, "Pretty busy, but good. We are in the middle of planning next quarter."),
    Turn(
        REP,
        "Great. I would love to understand your current process. "
        "How does your team review sales calls today?",
    ),
    Turn(
        PROSPECT,
        "Honestly, managers listen to a few recordings each week. "
        "It takes hours and we miss most of the calls.",
    ),
    Turn(REP, "What happens when a deal is lost? Do you know why it went wrong?"),
    Turn(
        PROSPECT,
        "Usually not. We only find out at the end of the quarter, and by then it is too late.",
    ),
    Turn(
        REP,
        "That makes sense. Are you looking at any other tools right now, "
        "maybe a competitor like Gong?",
    ),
    Turn(
        PROSPECT,
        "We had a demo with Gong last month. The product was fine, "
        "but the pricing was much higher than we expected.",
    ),
    Turn(REP, "Understood. Can you share what budget you have set aside for this project?"),
    Turn(
        PROSPECT,
        "Our budget is around forty thousand dollars per year for the whole sales team.",
    ),
    Turn(
        REP,
        "That works well. Our pricing is fifty dollars per seat per month, "
        "and with sixty reps you would be inside that budget.",
    ),
    Turn(PROSPECT, "Good to hear. Is there a discount if we sign an annual contract?"),
    Turn(
        REP,
        "Yes, an annual contract comes with a fifteen percent discount. "
        "Who else is involved in the decision?",
    ),
    Turn(
        PROSPECT,
        "Our VP of sales is the decision maker, and finance has to sign off on the contract.",
    ),
    Turn(REP, "What is your timeline? When would you like to have this running?"),
    Turn(
        PROSPECT,
        "We want to roll it out before the start of next quarter, so in about six weeks.",
    ),
    Turn(
        REP,
        "Perfect. As a next step, I suggest a trial with two of your teams "
        "and a follow up meeting with your VP next Tuesday. Does that work for you?",
    ),
    Turn(
        PROSPECT,
        "That works. Please send me the proposal and the security questions by email.",
    ),
    Turn(REP, "I will send them today. Thank you, Dana, talk to you next week."),
    Turn(PROSPECT, "Thanks, bye."),
)

#: Extra turns used to stretch a call towards a target length; same topics, new words.
FOLLOW_UP_TURNS: tuple[Turn, ...] = (
    Turn(REP, "Before we wrap up, can I ask a few more questions about your team?"),
    Turn(PROSPECT, "Of course, go ahead."),
    Turn(REP, "How many new reps do you hire each quarter, and how long is their ramp up?"),
    Turn(
        PROSPECT,
        "We hire about ten people a quarter, and it takes them three months to be productive.",
    ),
    Turn(REP, "What would it mean for revenue if ramp up took only six weeks?"),
    Turn(PROSPECT, "That would be a big win. Our managers would finally have time to coach."),
    Turn(REP, "Is the budget approved already, or does it still need to go to finance?"),
    Turn(PROSPECT, "It is approved in principle. Finance reviews the final contract."),
    Turn(REP, "And is anyone besides Gong on your short list?"),
    Turn(PROSPECT, "We also looked at Chorus, but their timeline for onboarding was too long."),
    Turn(REP, "Thanks for sharing. I will include an onboarding plan in the proposal."),
    Turn(PROSPECT, "Sounds good, thank you."),
)


def default_script() -> list[Turn]:
    """The built-in discovery call (about two minutes with the default voices)."""
    return list(SALES_DISCOVERY_CALL)


def short_script() -> list[Turn]:
    """A few turns of the discovery call (about 15 seconds): fast tests."""
    return [
        Turn(REP, "Thanks for taking the time today. What budget do you have for this project?"),
        Turn(PROSPECT, "Our budget is around forty thousand dollars per year."),
        Turn(REP, "Who else is involved in the decision, and what is your timeline?"),
        Turn(PROSPECT, "Our VP of sales decides, and we want to start next quarter."),
    ]


def extended_turns(base: Sequence[Turn]) -> Iterable[Turn]:
    """Turns to append after ``base`` forever: follow-up questions, then the base again."""
    while True:
        yield from FOLLOW_UP_TURNS
        yield from base


def script_text(turns: Iterable[Turn]) -> str:
    return " ".join(t.text for t in turns)
