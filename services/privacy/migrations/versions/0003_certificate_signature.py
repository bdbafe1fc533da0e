"""Erasure certificates carry the privacy service's Ed25519 signature.

Certificates issued before this revision keep a null signature (their digest still
checks; they cannot be verified against the public key).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 18:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_erasure_certificates") as batch:
        batch.add_column(sa.Column("signature", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_erasure_certificates") as batch:
        batch.drop_column("signature")
