"""Integrations settings: environment variables prefixed ``INTEGRATIONS_``.

Outbound webhooks refuse targets on loopback, private, link-local and metadata
addresses. ``webhook_allowed_networks`` lifts that for named hosts or networks only
(development and tests point webhooks at 127.0.0.1); production leaves it empty.
"""

from __future__ import annotations

import ipaddress

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class IntegrationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTEGRATIONS_", extra="ignore", populate_by_name=True
    )

    service_name: str = "integrations"
    s3_bucket: str = "clashtor-integrations"

    public_base_url: str = Field(
        "http://127.0.0.1:8080", description="the web app's address, for links to a call"
    )

    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description=(
            "addresses or networks (CIDR) webhooks may reach although they are loopback, "
            "private or link-local (JSON list); empty in production"
        ),
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="per delivery attempt")
    webhook_retry_initial_seconds: float = Field(
        5.0, gt=0, description="wait before the first retry; doubles with every failure"
    )
    webhook_retry_max_interval_seconds: float = Field(
        6 * 3600.0, gt=0, description="the longest wait between two attempts"
    )
    webhook_retry_window_hours: float = Field(
        72.0, gt=0, description="a delivery still failing this long after it was made is given up"
    )
    webhook_poll_seconds: float = Field(
        1.0, ge=0, description="how often due deliveries are looked for (0 = never, tests)"
    )
    webhook_batch: int = Field(20, ge=1, description="deliveries sent per poll")
    webhook_lease_seconds: float = Field(
        120.0, gt=0, description="a claimed delivery is retried after this if its sender died"
    )
    webhook_secret_grace_hours: float = Field(
        24.0, ge=0, description="after a rotation the old secret also signs for this long"
    )
    slack_base_url: str = Field(
        "https://slack.com/api/", description="Slack's Web API (tests: a local server)"
    )
    slack_timeout_seconds: int = Field(10, gt=0)
    webhook_max_subscriptions: int = Field(50, ge=1, description="per organization")

    ingest_url: str = Field(
        "http://127.0.0.1:8001", description="ingest's internal API, where Zoom recordings go"
    )
    zoom_webhook_secret_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices(
            "INTEGRATIONS_ZOOM_WEBHOOK_SECRET_TOKEN", "ZOOM_WEBHOOK_SECRET_TOKEN"
        ),
        description="the Zoom app's Secret Token: signs its webhooks (empty: Zoom is refused)",
    )
    zoom_client_id: str = Field(
        "", validation_alias=AliasChoices("INTEGRATIONS_ZOOM_CLIENT_ID", "ZOOM_CLIENT_ID")
    )
    zoom_client_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("INTEGRATIONS_ZOOM_CLIENT_SECRET", "ZOOM_CLIENT_SECRET"),
    )
    zoom_oauth_base_url: str = Field("https://zoom.us", description="authorize and token host")
    zoom_api_base_url: str = Field("https://api.zoom.us/v2", description="Zoom's REST API")
    zoom_timeout_seconds: float = Field(30.0, gt=0, description="per Zoom request")
    zoom_refresh_margin_seconds: float = Field(
        300.0, ge=0, description="an access token this close to expiry is refreshed first"
    )
    zoom_webhook_max_age_seconds: float = Field(
        300.0,
        gt=0,
        le=1800,
        description="x-zm-request-timestamp values further than this from now are refused; "
        "at most half of the hour a notification's receipt is kept (a timestamp ahead of "
        "now stays fresh for twice this long, and must not outlive its receipt)",
    )
    zoom_download_hosts: list[str] = Field(
        ["zoom.us", "zoom.com"],
        description="a recording's download link (and every redirect of it) is followed only "
        "over https to these hosts and their subdomains (a Server-to-Server app's admin holds "
        "its secret token: a notification's download_url is not trusted to point anywhere); "
        "plain http only to an address of webhook_allowed_networks (a local stand-in)",
    )
    zoom_max_recording_bytes: int = Field(
        2 * 1024**3, gt=0, description="a larger recording is not downloaded"
    )
    zoom_import_poll_seconds: float = Field(
        1.0, ge=0, description="how often due imports are looked for (0 = never, tests)"
    )

    def zoom_secret(self, name: str) -> str:
        """``webhook_secret_token`` or ``client_secret``; empty when Zoom is not set up."""
        value: SecretStr | None = getattr(self, f"zoom_{name}")
        return value.get_secret_value() if value is not None else ""

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an address or a CIDR network") from exc
        return value
