"""Calls privacy knows of (from call-uploaded), to apply each organization's retention.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 18:15:00
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
    op.create_table(
        "privacy_calls",
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "call_id"),
    )
    op.create_index(
        op.f("ix_privacy_calls_uploaded_at"), "privacy_calls", ["uploaded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_calls_uploaded_at"), table_name="privacy_calls")
    op.drop_table("privacy_calls")
