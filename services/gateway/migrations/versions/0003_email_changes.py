"""Email changes pending confirmation from the new address.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gateway_email_changes',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('new_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('gateway_email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_email_changes_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('gateway_email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_email_changes_org_id'))
    op.drop_table('gateway_email_changes')
