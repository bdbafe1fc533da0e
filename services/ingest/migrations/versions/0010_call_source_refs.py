"""Calls remember their source (``zoom:<recording file id>``) and so do erased calls' tombstones.

A Zoom import whose outcome integrations never recorded is uploaded again when its
lease ends; if the call was erased meanwhile, the tombstone's source refuses it
(410 ``source_erased``) instead of making the erased call again. Unique per org where set.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_unique_constraint(
            "uq_ingest_calls_org_source", ["org_id", "source_ref"]
        )
    with op.batch_alter_table("ingest_erased_calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_index(
            "ix_ingest_erased_calls_org_source", ["org_id", "source_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_erased_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_erased_calls_org_source")
        batch_op.drop_column("source_ref")
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ingest_calls_org_source", type_="unique")
        batch_op.drop_column("source_ref")
