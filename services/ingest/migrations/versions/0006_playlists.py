"""The call library: playlists of calls and clips, shared inside an organization.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def upgrade() -> None:
    op.create_table(
        "ingest_playlists",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), primary_key=True),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_ingest_playlists_org_created", "ingest_playlists", ["org_id", "created_at", "id"]
    )
    op.create_index("ix_ingest_playlists_created_by", "ingest_playlists", ["created_by"])
    op.create_table(
        "ingest_playlist_items",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), primary_key=True),
        sa.Column(
            "playlist_id",
            sa.String(length=36),
            sa.ForeignKey("ingest_playlists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "call_id",
            sa.String(length=36),
            sa.ForeignKey("ingest_calls.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_ingest_playlist_items_playlist", "ingest_playlist_items", ["playlist_id", "position"]
    )
    op.create_index("ix_ingest_playlist_items_call_id", "ingest_playlist_items", ["call_id"])


def downgrade() -> None:
    op.drop_table("ingest_playlist_items")
    op.drop_table("ingest_playlists")
