"""Retention rules without I/O: who a call is about, when it is due, when it is held.

A call is due for erasure once it is older than its organization's
``call_retention_days``. It is held, not erased, while any subject it is about is
restricted (restriction means "keep the data, do not process it": erasing it on a
schedule would defeat a subject who restricted processing to keep evidence, e.g.
for a legal claim). It is erased at the first run after the restriction is lifted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from clashtor_common.events import CallUploaded
from privacy.domain.subjects import SubjectRef

#: ``requested_by`` and audit actor of erasures the retention schedule starts.
RETENTION_ACTOR = "system:retention"


def subject_label(subject: SubjectRef) -> str:
    """``type|key``: how a subject is named in a call's subject list and in flags."""
    return f"{subject.type}|{subject.key}"


def call_subjects(call: CallUploaded) -> list[str]:
    """Everyone a call is about, as ``type|key`` labels (no names, no emails)."""
    refs = [SubjectRef(type="call", id=call.call_id), SubjectRef(type="user", id=call.uploader_id)]
    for p in call.participants:
        refs.append(SubjectRef(type="participant", id=p.participant_id))
        if p.fingerprint:  # named by email: as a participant, or as a user
            refs.append(SubjectRef(type="participant", fingerprint=p.fingerprint))
            refs.append(SubjectRef(type="user", fingerprint=p.fingerprint))
        if p.user_id:
            refs.append(SubjectRef(type="user", id=p.user_id))
    return sorted({subject_label(r) for r in refs})


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Calls uploaded before this are past retention."""
    return now - timedelta(days=days)


def held_by(subjects: Iterable[str], restricted: set[str]) -> list[str]:
    """The restricted subjects that hold a call (empty: it may be erased)."""
    return sorted(set(subjects) & restricted)
