"""What "nothing lost" means, checked: every call scored exactly once, no dead letters."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence

from clashtor_common.events import ALL_TOPICS, Topic, dlq_topic, parse_envelope
from clashtor_common.ops.replay import read_topic, read_topics

from .running import RunningStack


def wait_scored(
    status: Callable[[str], str | None], call_ids: Sequence[str], timeout: float = 480
) -> None:
    """Until every call is ``scored``; a ``failed`` one fails the test at once."""
    deadline = time.monotonic() + timeout
    last: dict[str, str | None] = {}
    while True:
        last = {c: status(c) for c in call_ids}
        failed = [c for c, s in last.items() if s == "failed"]
        assert not failed, f"calls failed: {failed}"
        if all(s == "scored" for s in last.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not all scored after {timeout}s: {last}")
        time.sleep(0.5)


async def _scored_events(bootstrap: str) -> Counter[str]:
    """``call-scored`` events per call, each event once: a relay killed between the
    broker's acknowledgement and its mark publishes the same event again on restart
    (at-least-once, ``clashtor_common.outbox``), which consumers' inboxes skip. Two events
    with different ids for one call would still count two."""
    records = await read_topic(bootstrap, Topic.CALL_SCORED.value, timeout_ms=3000)
    events = {env.id: env for env in (parse_envelope(r.value) for r in records)}
    return Counter(str(env.data["call_id"]) for env in events.values())


async def _dead_letters(bootstrap: str) -> dict[str, int]:
    dlqs = await read_topics(bootstrap, (dlq_topic(t) for t in ALL_TOPICS))
    return {t: len(records) for t, records in dlqs.items() if records}


def assert_scored_exactly_once(stack: RunningStack, call_ids: Sequence[str]) -> None:
    """One ``call-scored`` event, one score row and one usage row per call; no DLQ."""
    bootstrap = stack.bootstrap
    events = asyncio.run(_scored_events(bootstrap))
    counts = {c: events[c] for c in call_ids}
    assert counts == dict.fromkeys(call_ids, 1), f"call-scored events per call: {counts}"
    for call_id in call_ids:
        assert stack.count_rows("score", "score_calls", call_id) == 1, call_id
        assert stack.count_rows("billing", "billing_usage", call_id) == 1, call_id
    assert asyncio.run(_dead_letters(bootstrap)) == {}


def all_scored_exactly_once(
    stack: RunningStack,
    status: Callable[[str], str | None],
    call_ids: Sequence[str],
    timeout: float = 480,
) -> None:
    """Every call ends ``scored`` (``wait_scored``), each exactly once
    (``assert_scored_exactly_once``): nothing lost, nothing repeated."""
    wait_scored(status, call_ids, timeout)
    assert_scored_exactly_once(stack, call_ids)


def wait_for_event(
    stack: RunningStack, topic: Topic, call_ids: Sequence[str], timeout: float = 300
) -> None:
    """Until ``topic`` carries an event for one of ``call_ids``."""
    deadline = time.monotonic() + timeout
    wanted = set(call_ids)
    while time.monotonic() < deadline:
        records = asyncio.run(read_topic(stack.bootstrap, topic.value, timeout_ms=1000))
        if any(str(parse_envelope(r.value).data.get("call_id")) in wanted for r in records):
            return
        time.sleep(0.5)
    raise AssertionError(f"no {topic.value} event for {call_ids} in {timeout}s")
