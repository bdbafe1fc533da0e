"""Zoom imports that failed because Zoom refused the token wait for the account to reconnect.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('integrations_zoom_imports', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('waits_for_reconnect', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('integrations_zoom_imports', schema=None) as batch_op:
        batch_op.drop_column('waits_for_reconnect')
