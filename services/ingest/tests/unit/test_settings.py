"""Settings that cannot work together are refused at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.settings import IngestSettings


def test_an_upload_limit_at_or_past_the_orphan_grace_is_refused() -> None:
    with pytest.raises(ValidationError, match="INGEST_UPLOAD_MAX_SECONDS"):
        IngestSettings(upload_max_seconds=3600, orphan_grace_seconds=3600)
    accepted = IngestSettings(upload_max_seconds=3599, orphan_grace_seconds=3600)
    assert accepted.upload_max_seconds == 3599


def test_by_default_an_upload_ends_well_before_the_sweep_may_take_it() -> None:
    defaults = IngestSettings()
    assert defaults.upload_max_seconds < defaults.orphan_grace_seconds
