"""Coaching on a call: comments (``score_comments``), scorecard reviews
(``score_item_reviews``), and the automatic score kept beside the reviewed one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("score_calls") as batch:
        batch.add_column(sa.Column("automatic_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("item_overrides", sa.JSON(), nullable=True))
    op.execute("UPDATE score_calls SET automatic_score = overall_score")
    op.create_table(
        "score_comments",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("org_id", sa.String(length=100), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("author_id", sa.String(length=100), nullable=True),
        sa.Column("at_seconds", sa.Float(), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("mentions", sa.JSON(), nullable=False),
        _ts("created_at", False),
        _ts("edited_at", True),
        _ts("deleted_at", True),
    )
    op.create_index(
        "ix_score_comments_call",
        "score_comments",
        ["org_id", "call_id", "at_seconds", "created_at"],
    )
    op.create_index("ix_score_comments_author", "score_comments", ["org_id", "author_id"])
    op.create_index("ix_score_comments_parent_id", "score_comments", ["parent_id"])
    op.create_table(
        "score_item_reviews",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("org_id", sa.String(length=100), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("automatic_score", sa.Float(), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=100), nullable=True),
        _ts("created_at", False),
        sa.Column("reverted_by", sa.String(length=100), nullable=True),
        _ts("reverted_at", True),
    )
    op.create_index(
        "ix_score_item_reviews_call", "score_item_reviews", ["org_id", "call_id", "item"]
    )
    op.create_index("ix_score_item_reviews_reviewer_id", "score_item_reviews", ["reviewer_id"])


def downgrade() -> None:
    op.drop_table("score_item_reviews")
    op.drop_table("score_comments")
    with op.batch_alter_table("score_calls") as batch:
        batch.drop_column("item_overrides")
        batch.drop_column("automatic_score")
