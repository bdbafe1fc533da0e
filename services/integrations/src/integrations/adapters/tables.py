"""The integrations service's tables. Credentials (webhook URLs and signing secrets) are
stored encrypted with the keyring, bound to their row's id (associated data), so a
ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from clashtor_common.db import as_utc, utcnow
from clashtor_common.db import timestamp_column as _ts


def _owned_by(parent: str, length: int, *, index: bool = False) -> Column:  # type: ignore[type-arg]
    """A key of the ``parent`` row (``table.column``) that goes when its parent goes."""
    return Column(
        String(length), ForeignKey(parent, ondelete="CASCADE"), nullable=False, index=index
    )


__all__ = [
    "TABLES",
    "SlackAlert",
    "SlackConnection",
    "SlackRule",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "ZoomConnection",
    "ZoomImport",
    "ZoomOAuthState",
    "ZoomWebhookReceipt",
    "as_utc",
]


class WebhookSubscription(SQLModel, table=True):
    """Where an organization wants which events posted, and the secret that signs them."""

    __tablename__ = "integrations_webhooks"
    __table_args__ = (Index("ix_integrations_webhooks_org_created", "org_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    url_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(default="", max_length=200)
    source: str = Field(default="api", max_length=20, description="api or zapier")
    enabled: bool = True
    secret_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    previous_secret_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    previous_secret_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: its payload, where it stands, when it goes next.

    ``id`` is the ``webhook-id`` the receiver sees (the same on every retry and on a
    manual redelivery, so receivers can drop what they already handled).
    """

    __tablename__ = "integrations_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_integrations_delivery_event"),
        Index("ix_integrations_deliveries_due", "status", "next_attempt_at"),
        Index("ix_integrations_deliveries_sub_created", "subscription_id", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    org_id: str = Field(max_length=100, index=True)
    subscription_id: str = Field(sa_column=_owned_by("integrations_webhooks.id", 36))
    event_type: str = Field(max_length=60)
    event_id: str = Field(max_length=100, description="the Clashtor event it tells of")
    subject_id: str = Field(max_length=100, index=True, description="the call or request id")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    failures: int = Field(default=0, description="failed attempts since window_start")
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    window_start: datetime = Field(
        default_factory=utcnow, sa_column=_ts(), description="retries stop a window after this"
    )
    manual: bool = Field(default=False, description="the next attempt was asked for by hand")
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    delivered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt, with the response code or the error."""

    __tablename__ = "integrations_webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        sa_column=_owned_by("integrations_webhook_deliveries.id", 40, index=True)
    )
    org_id: str = Field(max_length=100, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
    manual: bool = False


TABLES: tuple[type[SQLModel], ...] = (WebhookSubscription, WebhookDelivery, WebhookAttempt)


class SlackConnection(SQLModel, table=True):
    """An organization's Slack bot token (``xoxb-…``), encrypted, bound to the org."""

    __tablename__ = "integrations_slack_connections"

    org_id: str = Field(primary_key=True, max_length=100)
    token_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SlackRule(SQLModel, table=True):
    """When to post what into which channel."""

    __tablename__ = "integrations_slack_rules"

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=20)
    threshold: float | None = None
    tracker: str | None = Field(default=None, max_length=100)
    channel: str = Field(max_length=80)
    enabled: bool = True
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SlackAlert(SQLModel, table=True):
    """One message to post, made in the event's transaction and sent by the notifier."""

    __tablename__ = "integrations_slack_alerts"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_id", name="uq_integrations_slack_alert_event"),
        Index("ix_integrations_slack_alerts_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    rule_id: str = Field(sa_column=_owned_by("integrations_slack_rules.id", 36))
    event_id: str = Field(max_length=100)
    call_id: str = Field(max_length=100, index=True)
    channel: str = Field(max_length=80)
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


TABLES = (*TABLES, SlackConnection, SlackRule, SlackAlert)


class ZoomConnection(SQLModel, table=True):
    """An organization's Zoom account and its OAuth tokens (encrypted, bound to the org).

    ``kind`` is ``oauth`` (an admin authorized the app: refresh token) or
    ``server_to_server`` (account credentials: a new token is asked for when it runs out).
    A Server-to-Server app is the customer's own, made inside their Zoom account: its
    client id, its client secret and its webhook secret token (both encrypted) are kept
    here, and its event subscription posts to ``/webhooks/zoom/{webhook_key}``.
    """

    __tablename__ = "integrations_zoom_connections"
    __table_args__ = (
        Index("ix_integrations_zoom_connections_webhook_key", "webhook_key", unique=True),
    )

    org_id: str = Field(primary_key=True, max_length=100)
    account_id: str = Field(max_length=100, unique=True, description="Zoom's account id")
    kind: str = Field(max_length=20)
    access_token_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    refresh_token_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    expires_at: datetime = Field(sa_column=_ts())
    connected_by: str = Field(max_length=100)
    connected_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_import_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_failure_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_failure: str | None = Field(default=None, max_length=500)
    needs_reauthorization: bool = Field(
        default=False,
        description="Zoom refused to renew the token: nothing is asked of Zoom until an admin "
        "connects again",
    )
    client_id: str | None = Field(default=None, max_length=200, description="S2S app's")
    client_secret_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    webhook_secret_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    webhook_key: str | None = Field(
        default=None,
        max_length=64,
        description="the random part of the S2S app's own webhook URL",
    )


class ZoomOAuthState(SQLModel, table=True):
    """A started authorization: the ``state`` Zoom hands back (kept as a hash), whose it is."""

    __tablename__ = "integrations_zoom_oauth_states"

    state_hash: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(max_length=100, index=True)
    user_id: str = Field(max_length=100)
    expires_at: datetime = Field(sa_column=_ts())


class ZoomWebhookReceipt(SQLModel, table=True):
    """A Zoom notification taken (its signature's hash): the same request again is a replay."""

    __tablename__ = "integrations_zoom_receipts"

    signature_hash: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ZoomImport(SQLModel, table=True):
    """One Zoom recording file to bring into ingest: the job, its schedule and its outcome.

    Written in the webhook's transaction and worked off by the importer, so a crash
    between download and upload loses nothing; (org, file) is unique, so the same
    recording announced twice is imported once.
    """

    __tablename__ = "integrations_zoom_imports"
    __table_args__ = (
        UniqueConstraint("org_id", "file_id", name="uq_integrations_zoom_import_file"),
        Index("ix_integrations_zoom_imports_due", "status", "next_attempt_at"),
        Index("ix_integrations_zoom_imports_org_created", "org_id", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    file_id: str = Field(max_length=100, description="Zoom's recording file id")
    meeting_uuid: str = Field(max_length=200)
    file_type: str = Field(max_length=20)
    zoom_host_id: str = Field(default="", max_length=100, description="Zoom's user id")
    host_user_id: str | None = Field(default=None, max_length=100, index=True)
    download_url_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    download_token_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    topic_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    call_id: str | None = Field(default=None, max_length=100, index=True)
    waits_for_reconnect: bool = Field(
        default=False,
        description="failed because Zoom refused the token: queued again when the same Zoom "
        "account is connected again",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


TABLES = (*TABLES, ZoomConnection, ZoomOAuthState, ZoomWebhookReceipt, ZoomImport)
