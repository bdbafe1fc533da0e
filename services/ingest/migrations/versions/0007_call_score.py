"""The call's latest announced score (``call-scored``, a manager's review included), for
the calls list.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overall_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.drop_column("overall_score")
