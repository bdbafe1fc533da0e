"""A service's answers to privacy requests: the completed erasure and the refusals."""

from __future__ import annotations

from clashtor_common.events import ErasureRequested, ExportRequested, KeptRecord, Subject
from clashtor_common.rights import erased, refusal

SUBJECT = Subject(type="call", id="c-1")
KEPT = KeptRecord(what="ids of erased calls", why="a replay changes nothing")


def test_an_unusable_subject_is_refused_with_the_answer_its_request_expects() -> None:
    erasure = refusal(ErasureRequested(request_id="r-1", subject=SUBJECT), "score", "no id")
    export = refusal(ExportRequested(request_id="r-2", subject=SUBJECT), "score", "no id")

    assert (erasure.event_type, export.event_type) == ("erasure-completed", "export-part-ready")
    assert (erasure.request_id, erasure.status, erasure.details) == ("r-1", "failed", "no id")
    assert (export.request_id, export.status, export.part, export.items) == (
        "r-2",
        "failed",
        None,
        0,
    )


def test_a_completed_erasure_says_what_was_removed_and_what_is_kept() -> None:
    done = erased(ErasureRequested(request_id="r-3", subject=SUBJECT), "ingest", {"calls": 2}, KEPT)
    assert (done.service, done.status, done.removed, done.kept) == (
        "ingest",
        "completed",
        {"calls": 2},
        [KEPT],
    )
