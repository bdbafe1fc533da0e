"""Crypto-shredding: score's key table (``call:<id>`` seals a call's stored result and
transcript, wrapped by the master key). Rows sealed before it stay self-keyed and still open.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

from clashtor_common.datakeys import create_key_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_key_table(op, "score_data_keys")


def downgrade() -> None:
    op.drop_table("score_data_keys")
