"""Zoom connections that need an admin to connect again (Zoom refused to renew the token).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('integrations_zoom_connections', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'needs_reauthorization', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('integrations_zoom_connections', schema=None) as batch_op:
        batch_op.drop_column('needs_reauthorization')
