"""Export parts are named by object reference (bucket and key), no longer by a presigned URL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('privacy_acknowledgements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part_bucket', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('part_key', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True))
        batch_op.drop_column('part_url')


def downgrade() -> None:
    with op.batch_alter_table('privacy_acknowledgements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part_url', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True))
        batch_op.drop_column('part_key')
        batch_op.drop_column('part_bucket')
