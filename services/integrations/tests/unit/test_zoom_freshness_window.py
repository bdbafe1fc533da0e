"""A Zoom notification is fresh within ``zoom_webhook_max_age_seconds`` of now, either
way; its receipt (what refuses a replay) is kept RECEIPT_RETENTION. A window so wide that
a timestamp ahead of now outlives its receipt would let the same notification in twice."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from integrations.service_layer.zoom import RECEIPT_RETENTION
from integrations.settings import IntegrationsSettings


def test_the_freshness_window_cannot_outlive_the_receipts() -> None:
    widest = IntegrationsSettings.model_fields["zoom_webhook_max_age_seconds"]
    bound = next(m.le for m in widest.metadata if getattr(m, "le", None) is not None)
    assert 2 * bound <= RECEIPT_RETENTION.total_seconds()
    with pytest.raises(ValidationError):
        IntegrationsSettings(zoom_webhook_max_age_seconds=RECEIPT_RETENTION.total_seconds())
