"""Built-in scorecard templates: MEDDIC and BANT, which an organization copies and edits.

Cues are deliberately plain phrases a rep or customer actually says, plus references to
the default trackers, so an organization can see why an item scored and tune it.
"""

from __future__ import annotations

from score.domain.scorecards import MetricCue, PhraseCue, Scorecard, ScorecardItem, TrackerCue


def meddic_template(org_id: str | None = None) -> Scorecard:
    return Scorecard(
        org_id=org_id,
        name="MEDDIC",
        methodology="MEDDIC",
        items=(
            ScorecardItem(
                key="metrics",
                question="Did the rep quantify the impact the customer wants to achieve?",
                weight=1.0,
                max_points=2,
                cues=(
                    PhraseCue(
                        said_by="rep",
                        phrases=(
                            "how do you measure",
                            "how would you measure",
                            "what metrics",
                            "kpi",
                            "kpis",
                            "what does success look like",
                            "roi",
                            "return on investment",
                        ),
                    ),
                    PhraseCue(
                        said_by="customer",
                        phrases=(
                            "percent",
                            "hours a week",
                            "hours per week",
                            "per week",
                            "per month",
                            "save us",
                            "reduce",
                            "increase",
                            "revenue",
                        ),
                    ),
                ),
            ),
            ScorecardItem(
                key="economic_buyer",
                question="Did the rep identify who controls the budget and signs off?",
                weight=1.5,
                cues=(
                    TrackerCue(tracker="decision maker"),
                    PhraseCue(
                        said_by="rep",
                        phrases=(
                            "who signs off",
                            "who else is involved",
                            "who approves",
                            "who owns the budget",
                        ),
                    ),
                ),
            ),
            ScorecardItem(
                key="decision_criteria",
                question="Did the rep learn how the customer will evaluate solutions?",
                weight=1.0,
                cues=(
                    PhraseCue(
                        phrases=(
                            "criteria",
                            "requirements",
                            "must have",
                            "must-have",
                            "evaluate",
                            "evaluating",
                            "deal breaker",
                            "most important to you",
                        )
                    ),
                    TrackerCue(tracker="competitors"),
                ),
            ),
            ScorecardItem(
                key="decision_process",
                question="Did the rep map the steps and people between now and a signed deal?",
                weight=1.0,
                cues=(
                    PhraseCue(
                        phrases=(
                            "decision process",
                            "buying process",
                            "approval process",
                            "procurement",
                            "legal review",
                            "security review",
                            "sign the contract",
                            "what happens after",
                        )
                    ),
                    TrackerCue(tracker="timeline"),
                ),
            ),
            ScorecardItem(
                key="identify_pain",
                question="Did the rep uncover the customer's pain and why it matters now?",
                weight=1.5,
                max_points=2,
                cues=(
                    PhraseCue(
                        said_by="rep",
                        phrases=(
                            "challenge",
                            "challenges",
                            "biggest problem",
                            "pain",
                            "what's not working",
                            "what is not working",
                            "struggling with",
                        ),
                    ),
                    PhraseCue(
                        said_by="customer",
                        phrases=(
                            "frustrating",
                            "problem",
                            "struggle",
                            "struggling",
                            "waste",
                            "wasting",
                            "manual",
                            "takes too long",
                            "losing",
                        ),
                    ),
                ),
            ),
            ScorecardItem(
                key="champion",
                question="Did the rep find someone inside who will sell for them?",
                weight=1.0,
                cues=(
                    PhraseCue(
                        phrases=(
                            "champion",
                            "introduce me",
                            "introduce you",
                            "loop in",
                            "bring in",
                            "get you in front of",
                            "share this with",
                            "i'll push",
                            "advocate",
                        )
                    ),
                ),
            ),
        ),
    )


def bant_template(org_id: str | None = None) -> Scorecard:
    return Scorecard(
        org_id=org_id,
        name="BANT",
        methodology="BANT",
        items=(
            ScorecardItem(
                key="budget",
                question="Did the rep confirm the customer has budget for this?",
                weight=1.0,
                max_points=2,
                cues=(
                    TrackerCue(tracker="budget"),
                    TrackerCue(tracker="pricing", said_by="customer"),
                ),
            ),
            ScorecardItem(
                key="authority",
                question="Did the rep find out who makes the buying decision?",
                weight=1.0,
                cues=(
                    TrackerCue(tracker="decision maker"),
                    PhraseCue(
                        said_by="rep",
                        phrases=("who signs off", "who else is involved", "who approves"),
                    ),
                ),
            ),
            ScorecardItem(
                key="need",
                question="Did the customer describe a need in their own words?",
                weight=1.0,
                max_points=2,
                cues=(
                    PhraseCue(
                        said_by="customer",
                        phrases=(
                            "we need",
                            "problem",
                            "struggle",
                            "struggling",
                            "frustrating",
                            "manual",
                            "takes too long",
                        ),
                    ),
                    MetricCue(
                        metric="longest_customer_story_s", condition="at_least", threshold=30
                    ),
                ),
            ),
            ScorecardItem(
                key="timeline",
                question="Did the rep establish when the customer needs a solution?",
                weight=1.0,
                cues=(TrackerCue(tracker="timeline"),),
            ),
        ),
    )


TEMPLATES = {"meddic": meddic_template, "bant": bant_template}
