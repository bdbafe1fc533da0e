"""A running app's start-up heap is frozen (out of full collections) until the last app stops."""

from __future__ import annotations

import gc

from clashtor_common.heap import startup_heap_frozen


class Held:
    """An object made before start-up ends, as a service's routes and mappers are."""


def _in_collected_generations(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_what_is_alive_at_start_is_frozen_while_the_app_runs_and_freed_after() -> None:
    held = Held()
    assert _in_collected_generations(held)
    with startup_heap_frozen():
        assert gc.get_freeze_count() > 0
        assert not _in_collected_generations(held), "collections would walk it again"
        later = Held()
        assert _in_collected_generations(later), "what requests allocate is collected"
    assert gc.get_freeze_count() == 0
    assert _in_collected_generations(held)


def test_the_heap_stays_frozen_until_the_last_of_several_apps_stops() -> None:
    with startup_heap_frozen():
        with startup_heap_frozen():
            pass
        assert gc.get_freeze_count() > 0, "the first app still runs"
    assert gc.get_freeze_count() == 0
