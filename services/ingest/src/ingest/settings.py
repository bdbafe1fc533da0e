"""Ingest settings: environment variables prefixed ``INGEST_``."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from clashtor_common.multipart import FormLimits
from clashtor_common.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    service_name: str = "ingest"
    s3_bucket: str = "clashtor-ingest"

    max_upload_mb: int = Field(500, ge=1, description="hard cap on one upload, whatever the plan")
    free_plan_minutes: int = Field(
        60, ge=0, description="minutes per calendar month for an org with no subscription event"
    )
    max_call_minutes: float = Field(
        240,
        gt=0,
        description="longest call accepted, measured by decoding the audio (413 beyond); "
        "also bounds how much audio one upload makes ingest decode",
    )
    free_plan_name: str = "free"
    free_plan_seats: int = 3
    title_max_chars: int = Field(500, description="the gateway's documented limit (POST /v1/calls)")
    participants_max_bytes: int = Field(
        192 * 1024,
        description="cap on one text field of the upload form (participants is the largest): "
        "room for 50 participants at the documented limits even with every character "
        "\\u-escaped",
    )
    participants_max_count: int = Field(50, description="the gateway's documented limit")
    form_max_parts: int = Field(
        8, ge=1, description="parts in one upload form (file, title, participants, ...)"
    )
    form_max_fields_bytes: int = Field(
        256 * 1024, ge=1, description="all text fields of one upload form together"
    )

    def form_limits(self) -> FormLimits:
        """The limits a streamed upload form is read with (``clashtor_common.multipart``)."""
        return FormLimits(
            max_parts=self.form_max_parts,
            max_field_bytes=self.participants_max_bytes,
            max_fields_bytes=self.form_max_fields_bytes,
        )

    list_max_limit: int = 100
    audio_window_chunks: int = Field(
        16, ge=1, description="sealed chunks fetched from S3 per read while streaming audio"
    )
    export_max_audio_mb: int = Field(
        360, description="base64 of recordings per export part (privacy refuses parts over 512 MB)"
    )
    upload_temp_dir: str | None = Field(
        None, description="where uploads are spooled; None = OS temp"
    )
    upload_part_mb: int = Field(
        8, ge=5, le=512, description="S3 multipart part size of an upload's encrypted audio"
    )
    upload_parts_in_flight: int = Field(
        3,
        ge=1,
        le=16,
        description="parts of one upload sent to S3 at once while the rest arrives (memory "
        "per upload: about (this + 1) x the part size)",
    )
    orphan_sweep_interval_seconds: float = Field(
        600, ge=0, description="how often audio objects with no call row are swept; 0 = never"
    )
    orphan_grace_seconds: float = Field(
        3600, gt=0, description="an object younger than this is an upload in flight, never swept"
    )
    upload_max_seconds: float = Field(
        1800,
        gt=0,
        description="longest an upload may take to arrive (408 beyond, its parts aborted); "
        "must stay below orphan_grace_seconds, whose sweep aborts older multipart uploads",
    )

    @model_validator(mode="after")
    def _uploads_end_before_the_sweep(self) -> IngestSettings:
        if self.upload_max_seconds >= self.orphan_grace_seconds:
            raise ValueError(
                f"INGEST_UPLOAD_MAX_SECONDS ({self.upload_max_seconds:g}) must be below "
                f"INGEST_ORPHAN_GRACE_SECONDS ({self.orphan_grace_seconds:g}): the orphan "
                "sweep would abort a slower upload's parts while it still arrives"
            )
        return self
