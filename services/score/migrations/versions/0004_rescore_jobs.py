"""Re-score jobs: past calls re-scored in the background after a tracker or scorecard change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "score_rescore_jobs",
        sa.Column("id", _TEXT(length=36), primary_key=True),
        sa.Column("org_id", _TEXT(length=100), nullable=False),
        sa.Column("scorecard_id", _TEXT(length=36), nullable=True),
        sa.Column("reason", _TEXT(length=20), nullable=False),
        sa.Column("status", _TEXT(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("rescored", sa.Integer(), nullable=False),
        sa.Column("last_call_id", _TEXT(length=100), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", _TEXT(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_score_rescore_jobs_org_created", "score_rescore_jobs", ["org_id", "created_at", "id"]
    )
    op.create_index("ix_score_rescore_jobs_status", "score_rescore_jobs", ["status"])


def downgrade() -> None:
    op.drop_table("score_rescore_jobs")
