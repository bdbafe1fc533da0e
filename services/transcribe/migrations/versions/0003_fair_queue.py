"""Fair transcription queue: admitted calls leased to workers, and each organization's
last turn (organizations take turns).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transcribe_jobs",
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("call_id"),
    )
    with op.batch_alter_table("transcribe_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transcribe_jobs_org_queued", ["org_id", "queued_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transcribe_jobs_leased_until"), ["leased_until"], unique=False
        )
    op.create_table(
        "transcribe_org_turns",
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("transcribe_org_turns")
    with op.batch_alter_table("transcribe_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcribe_jobs_leased_until"))
        batch_op.drop_index("ix_transcribe_jobs_org_queued")
    op.drop_table("transcribe_jobs")
