"""Crypto-shredding: transcribe's key table (``call:<id>`` seals a transcript, wrapped by
the master key). Transcripts written before it stay self-keyed and still open.

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
    create_key_table(op, "transcribe_data_keys")


def downgrade() -> None:
    op.drop_table("transcribe_data_keys")
