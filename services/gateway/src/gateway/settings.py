"""Gateway settings: environment variables prefixed ``GATEWAY_``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from clashtor_common.multipart import FormLimits
from clashtor_common.settings import ServiceSettings

DEV_CSRF_SECRET = "dev-csrf-secret-change-me-in-production"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
    dev_secrets: ClassVar[dict[str, str]] = {
        **ServiceSettings.dev_secrets,
        "csrf_secret": DEV_CSRF_SECRET,
    }

    service_name: str = "gateway"
    s3_bucket: str = "clashtor-gateway"

    # Owning services' internal APIs (see docs/ARCHITECTURE.md, "Internal HTTP APIs").
    ingest_url: str = "http://127.0.0.1:8001"
    transcribe_url: str = "http://127.0.0.1:8002"
    score_url: str = "http://127.0.0.1:8003"
    billing_url: str = "http://127.0.0.1:8004"
    privacy_url: str = "http://127.0.0.1:8005"
    integrations_url: str = "http://127.0.0.1:8006"
    downstream_timeout_seconds: float = 10.0
    upload_timeout_seconds: float = 900.0
    upload_max_seconds: float = Field(1800.0, gt=0)
    """Longest an upload may take to arrive (408 ``upload_timeout`` beyond, the request to
    ingest closed): keep it at ``INGEST_UPLOAD_MAX_SECONDS``, which ingest enforces too
    (the gateway's clock starts first, so it answers first)."""
    upload_idle_seconds: float = Field(60.0, gt=0)
    """Longest wait for the next bytes of an upload (408 beyond): a stalled client frees its
    ingest connection within this, not after the whole ``upload_max_seconds``."""
    downstream_pool_timeout_seconds: float = 30.0
    """How long a request may wait for a free pooled connection to a service."""
    downstream_connections: int = Field(100, ge=1)
    """Connections kept open (keep-alive) to each service, at most, by the httpx clients
    (every call but the hot reads; hour-long progress streams and uploads among them)."""
    downstream_read_connections: int | None = Field(None, ge=1)
    """The read pool's own cap per service, for the plain GETs of hot reads
    (``GET /v1/calls/{id}``'s three), on top of ``downstream_connections`` so a
    stream or upload never holds a read's place nor a read theirs. Unset: half of
    ``downstream_connections`` (at least 1)."""
    identity_ttl_seconds: int = 60
    max_upload_bytes: int = 500 * 1024 * 1024 + 1024 * 1024
    """500 MB of audio plus room for the multipart envelope (title, participants)."""
    upload_form_max_parts: int = Field(FormLimits.max_parts, ge=1)
    """Parts in one upload form (file, title, participants)."""
    upload_form_max_field_bytes: int = Field(FormLimits.max_field_bytes, ge=1)
    """One text field of an upload form (participants is the largest)."""
    upload_form_max_fields_bytes: int = Field(FormLimits.max_fields_bytes, ge=1)
    """All text fields of an upload form together."""
    max_webhook_bytes: int = 1024 * 1024
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    """Any request body but an upload's (which streams under its own limits): 413 past it."""
    account_status_cache_seconds: float = Field(5.0, ge=0)
    """How long privacy's account status (deleted or not) is trusted per organization."""
    account_status_stale_seconds: float = Field(300.0, ge=0)
    """How long the last known status is used while privacy cannot be reached."""
    api_key_cache_seconds: float = Field(5.0, ge=0)
    """How long an API key that authenticated is trusted without asking the database: a
    key revoked (or its user demoted) on another replica stops working within this."""
    usage_flush_seconds: float = Field(1.0, gt=0)
    """How often usage rows and API keys' ``last_used_at`` are written, in one batch."""
    usage_buffer_rows: int = Field(10_000, ge=1)
    """Usage rows waiting in memory at most (past it they are dropped and logged)."""
    call_view_cache_entries: int = Field(1000, ge=0)
    """Assembled call views kept (``GET /v1/calls/{id}``); 0 keeps none."""
    call_view_cache_bytes: int = Field(64 * 1024 * 1024, ge=0)
    """Their total size at most."""
    call_view_max_age_seconds: float = Field(30.0, gt=0)
    """How long one view is kept at most before it is built anew. Each replica caches
    its own views and an erasure event reaches one replica: every other one drops the
    erased call's plaintext from memory within this (and never answers it: ingest
    refuses an erased call on every read)."""
    rectification_retry_seconds: float = Field(30.0, gt=0)
    """How often rectifications privacy has not taken yet are offered again."""

    # Sessions and CSRF.
    session_ttl_seconds: int = 14 * 24 * 3600
    insecure_cookies: bool = False
    """True only for plain-HTTP local development: drops the cookie's ``Secure`` flag."""
    csrf_secret: SecretStr = SecretStr(DEV_CSRF_SECRET)

    # Passwords (argon2id). Lower costs only in tests.
    password_time_cost: int = 3
    password_memory_kib: int = 64 * 1024
    password_parallelism: int = 2

    # Login throttling: per (account, address) growing delays, and a cap per address.
    # No limit per account alone: that would let a stranger lock its owner out.
    login_window_seconds: int = 60 * 60
    login_free_failures: int = 4
    """Failures per (account, address) in the window before delays start."""
    login_base_delay_seconds: float = 2.0
    login_max_delay_seconds: float = 15 * 60
    login_max_failures_per_address: int = 30
    trust_forwarded_for: bool = False
    """Take the client address from ``X-Forwarded-For`` (behind the ingress only)."""

    web_dir: str | None = None
    """The built web app (``web/dist``) served at ``/``; unset: no web app, ``/`` is 404."""

    # Rate limits: action -> scope ("addr", "user", "org") -> requests per window.
    rate_window_seconds: int = 3600
    rate_limits: dict[str, dict[str, int]] = Field(
        default_factory=lambda: {
            "signup": {"addr": 10},
            "confirm": {"addr": 30},
            "upload": {"user": 120, "org": 1000},
            "export": {"user": 10, "org": 100},
            "erasure": {"user": 20, "org": 200},
            "restriction": {"user": 20, "org": 200},
        }
    )
    """JSON in ``GATEWAY_RATE_LIMITS``; an action or scope left out is not limited."""

    # Mail: an SMTP relay when ``smtp_host`` is set, else messages are only logged.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_start_tls: bool = False
    mail_from: str = "Clashtor <no-reply@clashtor.localhost>"

    invitation_ttl_seconds: int = 7 * 24 * 3600
    email_change_ttl_seconds: int = 24 * 3600
    public_url: str = "http://localhost:8000"
    """Where users reach the web app; used in invitation links."""

    # HTTPS (``python -m gateway.serve``): TLS 1.3 only when both are set.
    tls_cert: str | None = None
    tls_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _tls_pair(self) -> GatewaySettings:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("GATEWAY_TLS_CERT and GATEWAY_TLS_KEY must be set together")
        return self

    def read_connections(self) -> int:
        """Connections to each service for the hot reads (``downstream_read_connections``)."""
        return self.downstream_read_connections or max(1, self.downstream_connections // 2)

    def upload_form_limits(self) -> FormLimits:
        return FormLimits(
            max_parts=self.upload_form_max_parts,
            max_field_bytes=self.upload_form_max_field_bytes,
            max_fields_bytes=self.upload_form_max_fields_bytes,
        )

    def service_url(self, service: str) -> str:
        urls = {
            "ingest": self.ingest_url,
            "transcribe": self.transcribe_url,
            "score": self.score_url,
            "billing": self.billing_url,
            "privacy": self.privacy_url,
            "integrations": self.integrations_url,
        }
        return urls[service].rstrip("/")
