"""Which organization's queued transcription runs next: organizations take turns.

One organization's burst must not hold back another's single call. Among the
organizations with a job ready, the one served least recently goes next (one never
served goes first; ties go to the longest-waiting job), and it runs its oldest job. A
burst of twenty calls from A followed by one call from B so starts B's call after at
most one of A's. FIFO (``fair=False``, the old order) is the plain queue order: the
oldest job first, whoever it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime


def next_org(
    oldest_ready: Mapping[str, datetime],
    served_at: Mapping[str, datetime],
    *,
    fair: bool = True,
) -> str | None:
    """The organization whose oldest job runs next.

    ``oldest_ready``: each organization with a job ready, and when its oldest ready job was
    queued; ``served_at``: when each organization last had a job started (absent: never).
    """
    if not oldest_ready:
        return None
    if not fair:
        return min(oldest_ready, key=lambda org: (oldest_ready[org], org))

    def turn(org: str) -> tuple[bool, datetime, datetime, str]:
        last = served_at.get(org)
        return (last is not None, last or oldest_ready[org], oldest_ready[org], org)

    return min(oldest_ready, key=turn)
