"""Zoom Server-to-Server OAuth with each organization's own app: its client id, client
secret and webhook secret token (encrypted), and the key of its own webhook URL.

Connections made before with the deployment-wide ``ZOOM_ACCOUNT_ID`` are removed: any
organization's admin could have claimed that account (issue #16), and they cannot be
renewed without the setting. The imports stay; an admin connects again with the
credentials of the organization's own app.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM integrations_zoom_connections WHERE kind = 'server_to_server'")
    with op.batch_alter_table('integrations_zoom_connections', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column('client_secret_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('webhook_secret_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column('webhook_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(
            'ix_integrations_zoom_connections_webhook_key', ['webhook_key'], unique=True
        )


def downgrade() -> None:
    op.execute("DELETE FROM integrations_zoom_connections WHERE kind = 'server_to_server'")
    with op.batch_alter_table('integrations_zoom_connections', schema=None) as batch_op:
        batch_op.drop_index('ix_integrations_zoom_connections_webhook_key')
        batch_op.drop_column('webhook_key')
        batch_op.drop_column('webhook_secret_enc')
        batch_op.drop_column('client_secret_enc')
        batch_op.drop_column('client_id')
