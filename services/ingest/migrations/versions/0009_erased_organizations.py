"""Tombstones of erased organizations (ids only): their late uploads are refused.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_erased_organizations",
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("ingest_erased_organizations")
