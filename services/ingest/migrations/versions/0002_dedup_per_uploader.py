"""Duplicate detection per uploader: the same bytes may be one call per uploader.

A rep uploading bytes of a call they may not see gets a new call of their own instead
of the other call (issue 11, hole 6), so (org, content hash) is no longer unique;
(org, uploader, content hash) is.

Downgrading fails while two uploaders hold the same bytes (the old constraint cannot
hold then); erase one of the copies first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 17:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ingest_calls_org_content", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ingest_calls_org_uploader_content", ["org_id", "uploader_id", "content_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_calls", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ingest_calls_org_uploader_content", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ingest_calls_org_content", ["org_id", "content_hash"]
        )
