"""Billing settings: environment variables prefixed ``BILLING_``.

The Stripe secrets are also read from the unprefixed names Stripe's own tooling uses
(``STRIPE_API_KEY``, ``STRIPE_WEBHOOK_SECRET``). With no API key the service runs on
its local default: the ledger is kept, usage is marked unreported and checkout/portal
answer 503 (``billing_not_configured``).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    service_name: str = "billing"
    s3_bucket: str = "clashtor-billing"

    stripe_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("BILLING_STRIPE_API_KEY", "STRIPE_API_KEY"),
        description="secret key (sk_...); None = Stripe not configured (local default)",
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("BILLING_STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"),
        description="endpoint signing secret (whsec_...); None = webhooks answer 503",
    )
    stripe_api_base: str | None = Field(
        None, description="Stripe API base URL; None = Stripe's default (tests point it locally)"
    )
    stripe_timeout_seconds: float = Field(20, gt=0, description="per Stripe HTTP request")
    stripe_max_attempts: int = Field(4, ge=1, description="tries per Stripe call on 429/5xx")
    stripe_retry_initial_seconds: float = Field(0.5, gt=0)
    webhook_tolerance_seconds: int = Field(
        300,
        gt=0,
        description="how far a signature's date may lie in the past, or ahead (clock skew)",
    )

    grace_days: float = Field(
        7, ge=0, description="a past_due subscription keeps its limits this long"
    )
    grace_check_seconds: float = Field(60, gt=0, description="how often expired grace is swept")
    usage_report_poll_seconds: float = Field(
        5, gt=0, description="reporter poll when not woken by a new ledger row"
    )
    usage_report_batch: int = Field(100, ge=1)
    usage_report_max_backoff_seconds: float = Field(3600, gt=0)

    checkout_success_url: str = (
        "http://localhost:8000/billing/success?session_id={CHECKOUT_SESSION_ID}"
    )
    checkout_cancel_url: str = "http://localhost:8000/billing/cancel"
    portal_return_url: str = "http://localhost:8000/billing"
    max_seats: int = Field(500, ge=1)

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_api_key and self.stripe_api_key.get_secret_value())

    @property
    def grace_seconds(self) -> int:
        return int(self.grace_days * 86400)
