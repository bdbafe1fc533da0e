"""Fenced leases: each claim of a queued transcription writes a new token, and the
worker's renewals, retries and finish apply only while the job still carries it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 06:20:00
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
    with op.batch_alter_table("transcribe_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("transcribe_jobs", schema=None) as batch_op:
        batch_op.drop_column("lease_token")
