"""One typed settings base; each service subclasses it with its own env prefix.

Development defaults let `make up` run with no configuration; outside development
the default secrets are refused so a misconfigured production never starts.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clashtor_common.backoff import Retries
from clashtor_common.crypto import Keyring

# Development-only secrets (base64 of 32 bytes). Refused when environment != development/test.
DEV_MASTER_KEYS = "dev1:ZGV2LW1hc3Rlci1rZXktbmV2ZXItdXNlLWluLXByb2Q="
DEV_IDENTITY_SECRET = "dev-identity-secret-change-me-in-production"
DEV_FINGERPRINT_SECRET = "dev-fingerprint-secret-change-me-in-production"


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclass per service and set ``env_prefix``."""

    model_config = SettingsConfigDict(env_prefix="CLASHTOR_", extra="ignore")
    dev_secrets: ClassVar[dict[str, str]] = {
        "master_keys": DEV_MASTER_KEYS,
        "identity_secret": DEV_IDENTITY_SECRET,
        "fingerprint_secret": DEV_FINGERPRINT_SECRET,
    }
    """Secret settings (name → published development default) production refuses to run
    with; a service with secrets of its own extends it."""

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    database_pool_size: int = Field(10, ge=1)
    """PostgreSQL connections a process keeps open once used (each worker its own)."""
    database_max_overflow: int = Field(10, ge=0)
    """Connections opened beyond the pool under load, closed when given back. A
    deployment keeps (pool size + overflow) × processes under the server's max_connections."""
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    s3_endpoint: str | None = "http://127.0.0.1:8333"
    s3_region: str = "us-east-1"
    s3_access_key: str = "clashtor"
    s3_secret_key: SecretStr = SecretStr("clashtor-dev-secret")
    s3_bucket: str = "clashtor"
    s3_vacuum_url: str | None = None
    """The embedded SeaweedFS master: volumes are compacted after an erasure. None in
    production (S3 lifecycle rules expire deleted data, see services/privacy/README.md)."""
    master_keys: SecretStr = Field(
        SecretStr(DEV_MASTER_KEYS),
        description="comma-separated kid:base64(32 bytes); the first encrypts, all decrypt",
    )
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    fingerprint_secret: SecretStr = SecretStr(DEV_FINGERPRINT_SECRET)
    consumer_max_attempts: int = 3
    consumer_backoff_seconds: float = 0.2
    consumer_max_consecutive_dead_letters: int = 20
    consumer_batch_size: int = 200
    """Events handled per database transaction; 1 for handlers doing slow work (transcription)."""
    consumer_transient_backoff_max: float = 30.0
    """Cap of the backoff between retries of a transient failure (retried without end)."""
    consumer_session_timeout_ms: int = 10_000
    """How long the broker waits for a group member's heartbeat before it hands the
    member's partitions to the others (a consumer killed without leaving holds them that
    long). Tansu also holds every group join for half of it; test stacks set it low."""
    consumer_fetch_max_wait_ms: int = 500
    """How long the broker may hold a fetch that finds nothing new (aiokafka's default).
    Kafka answers as soon as a record arrives; Tansu, the embedded broker, does not: at
    500 ms an event reached an idle consumer 108 ms after it was published, at 100 ms in
    12 ms (one event every 0.37 s, median of 10). But ten idle consumers then cost Tansu
    11 % of a core instead of 3.5 %, and themselves 4.3 % instead of 2.1 % (15 s, twice):
    next to a transcription the 100 ms is not seen, the CPU is (`make up`, the tests)."""
    consumer_heartbeat_interval_ms: int = 3_000
    """How often a group member tells the broker it is alive (well under the session timeout)."""
    relay_poll_seconds: float = 0.5
    outbox_retention_hours: float = 7 * 24
    """Sent outbox rows are kept this long: the window ``clashtor-ops outbox resend`` covers."""
    inbox_retention_hours: float = 30 * 24
    """Handled-event records are kept this long; keep it above the topics' retention."""
    purge_interval_seconds: float = 3600
    broker_check_seconds: float = 30
    """How often a consumer checks that its topics and its position still exist."""
    kafka_ensure_topics: bool = True
    """Create the topics this service uses at start when missing (off where ACLs forbid it)."""
    kafka_topic_partitions: int = 3
    migrate_on_start: bool | None = None
    """``alembic upgrade head`` at start; default on except in production (a Job does it)."""
    log_level: str = "INFO"
    log_json: bool = True
    metrics_port: int | None = None
    """A separate listener for Prometheus ``/metrics`` (the gateway's: its app port is public)."""
    metrics_host: str = "127.0.0.1"
    """Where that listener binds (``0.0.0.0`` in a pod, so Prometheus reaches it)."""
    metrics_refresh_seconds: float = 15
    """How often consumer lag and outbox backlog are measured between scrapes."""

    @model_validator(mode="after")
    def _defaults(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///./var/{self.service_name}.db"
        if self.migrate_on_start is None:
            self.migrate_on_start = self.environment != "production"
        if self.environment == "production":
            for name, dev_value in self.dev_secrets.items():
                if getattr(self, name).get_secret_value() == dev_value:
                    raise ValueError(f"{name} must be set outside development")
        return self

    def keyring(self) -> Keyring:
        """The master keys (``master_keys``) that wrap this service's data keys."""
        return Keyring.from_config(self.master_keys.get_secret_value())

    def kafka_client_kwargs(self) -> dict[str, object]:
        """Connection options shared by every Kafka client of the service (aiokafka names)."""
        kwargs: dict[str, object] = {
            "bootstrap_servers": self.kafka_bootstrap,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            import ssl

            kwargs["ssl_context"] = ssl.create_default_context(cafile=self.kafka_ssl_cafile)
        if self.kafka_sasl_mechanism:
            kwargs["sasl_mechanism"] = self.kafka_sasl_mechanism
            kwargs["sasl_plain_username"] = self.kafka_sasl_username
            kwargs["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        return kwargs

    def consumer_retries(self) -> Retries:
        """``consumer_max_attempts``, ``consumer_backoff_seconds`` and
        ``consumer_transient_backoff_max``, as the consumers take them."""
        return Retries(
            max_attempts=self.consumer_max_attempts,
            backoff_seconds=self.consumer_backoff_seconds,
            backoff_max=self.consumer_transient_backoff_max,
        )

    @property
    def consumer_group(self) -> str:
        return self.service_name
