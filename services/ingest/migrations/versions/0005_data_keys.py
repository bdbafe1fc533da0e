"""Crypto-shredding: ingest's key table (``call:<id>``, ``participant:<id>`` data keys,
wrapped by the master key). Rows written before it stay self-keyed and still open.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

from clashtor_common.datakeys import create_key_table

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_key_table(op, "ingest_data_keys")


def downgrade() -> None:
    op.drop_table("ingest_data_keys")
