"""What happens to an upload, and who may read a transcript: rules without I/O."""

from __future__ import annotations

import pytest

from clashtor_common.identity import Identity
from transcribe.domain.access import can_read
from transcribe.domain.outcomes import CallStatus, UploadDecision, decide_upload


@pytest.mark.parametrize(
    ("erased", "existing", "restricted", "expected"),
    [
        (False, None, False, UploadDecision.TRANSCRIBE),
        (True, None, False, UploadDecision.SKIP_ERASED),
        (True, CallStatus.TRANSCRIBED, True, UploadDecision.SKIP_ERASED),
        (False, CallStatus.TRANSCRIBED, False, UploadDecision.SKIP_DONE),
        (False, CallStatus.TRANSCRIBED, True, UploadDecision.SKIP_DONE),
        (False, None, True, UploadDecision.RESTRICT),
        (False, CallStatus.FAILED, False, UploadDecision.TRANSCRIBE),
        (False, CallStatus.RESTRICTED, False, UploadDecision.TRANSCRIBE),
        (False, CallStatus.RESTRICTED, True, UploadDecision.RESTRICT),
    ],
)
def test_an_upload_is_transcribed_once_never_after_erasure_never_while_restricted(
    erased: bool, existing: str | None, restricted: bool, expected: UploadDecision
) -> None:
    assert decide_upload(erased=erased, existing=existing, restricted=restricted) is expected


def _who(role: str, user: str = "u1", team: tuple[str, ...] = ()) -> Identity:
    return Identity(org_id="o", user_id=user, role=role, team_user_ids=team)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["owner", "admin", "compliance", "system"])
def test_org_wide_roles_read_every_transcript(role: str) -> None:
    assert can_read(_who(role), "someone-else")


def test_a_rep_reads_only_their_own_calls_and_a_manager_their_team_s() -> None:
    assert can_read(_who("rep"), "u1")
    assert not can_read(_who("rep"), "u2")
    manager = _who("manager", "boss", team=("u1",))
    assert can_read(manager, "u1") and can_read(manager, "boss")
    assert not can_read(manager, "u2")
