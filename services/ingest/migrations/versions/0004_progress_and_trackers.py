"""Transcription progress on a call, and the trackers each call mentions (for filters).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_percent", sa.Integer(), nullable=True))
    op.create_table(
        "ingest_call_trackers",
        sa.Column(
            "call_id",
            sa.String(length=36),
            sa.ForeignKey("ingest_calls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tracker", sqlmodel.sql.sqltypes.AutoString(length=80), primary_key=True
        ),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    )
    op.create_index(
        "ix_ingest_call_trackers_org_tracker", "ingest_call_trackers", ["org_id", "tracker"]
    )


def downgrade() -> None:
    op.drop_index("ix_ingest_call_trackers_org_tracker", table_name="ingest_call_trackers")
    op.drop_table("ingest_call_trackers")
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.drop_column("progress_percent")
