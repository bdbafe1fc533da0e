"""Request kinds, statuses and the rules that move a request from one status to the next.

- ``pending``: recorded, the fan-out event is in the outbox, no service answered yet;
- ``in_progress``: at least one service answered;
- ``completed``: every expected service answered successfully (erasure), or the bundle
  is stored (export); rectification, restriction and objection complete when their
  event is committed to the outbox;
- ``failed``: an export missed a part or got a failed one; an erasure ran out of
  re-sends. A late successful answer still completes a failed erasure: erasure is
  never abandoned on our side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"


class Status(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class AckStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


#: Who a request is recorded as made by when privacy starts it on its own.
ACCOUNT_PURGE_ACTOR = "system:account-deletion"
#: The acknowledgement privacy writes for the data it holds itself.
OWN_SERVICE = "privacy"


@dataclass(frozen=True)
class AckState:
    service: str
    status: str
    attempts: int = 1


def erasure_status(current: str, acks: Iterable[AckState]) -> str:
    """The status of an erasure after an answer arrived."""
    acks = list(acks)
    if acks and all(a.status == AckStatus.COMPLETED for a in acks):
        return Status.COMPLETED
    if current == Status.FAILED:
        return Status.FAILED
    answered = any(a.status != AckStatus.PENDING and a.service != OWN_SERVICE for a in acks)
    return Status.IN_PROGRESS if answered else current


def export_outcome(acks: Iterable[AckState]) -> tuple[str, str | None]:
    """``(status, failure)`` of an export once its parts are in: ready to assemble is
    ``completed`` (the caller assembles), any failed part fails the whole export."""
    acks = list(acks)
    if any(a.status == AckStatus.PENDING for a in acks):
        answered = any(a.status != AckStatus.PENDING for a in acks)
        return (Status.IN_PROGRESS if answered else Status.PENDING), None
    failed = sorted(a.service for a in acks if a.status == AckStatus.FAILED)
    if failed:
        return Status.FAILED, f"export part failed at: {', '.join(failed)}"
    return Status.COMPLETED, None


def missing_services(acks: Iterable[AckState]) -> list[str]:
    return sorted(a.service for a in acks if a.status == AckStatus.PENDING)
