"""Personal data sealed at rest: names, emails and organization names encrypted.

Each plain column ``x`` is replaced by ``x_sealed`` (an AES-256-GCM record made with
the gateway's master keys, ``GATEWAY_MASTER_KEYS``); existing rows are encrypted on the
way, so the master keys must be configured when a database that has rows is upgraded.
Users' email uniqueness moves to the keyed ``email_fingerprint``. The downgrade
decrypts back into plain columns (with the same keys), for rolling back a release.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clashtor_common.crypto import Keyring

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (key column, plain columns to seal)
SEALED: dict[str, tuple[str, tuple[str, ...]]] = {
    'gateway_organizations': ('id', ('name',)),
    'gateway_users': ('id', ('name', 'email')),
    'gateway_invitations': ('id', ('email',)),
    'gateway_pending_rectifications': ('user_id', ('previous_email',)),
    'gateway_email_changes': ('user_id', ('new_email',)),
}


def _keyring() -> Keyring:
    from gateway.settings import GatewaySettings

    return Keyring.from_config(GatewaySettings().master_keys.get_secret_value())


def _convert_rows(
    table: str, key: str, columns: tuple[str, ...], keyring: list[Keyring], *, seal: bool
) -> None:
    """Copy each of ``columns`` into its sealed twin (or back), row by row."""
    conn = op.get_bind()
    source = columns if seal else tuple(f'{c}_sealed' for c in columns)
    target = tuple(f'{c}_sealed' for c in columns) if seal else columns
    rows = conn.execute(sa.text(f'SELECT {key}, {", ".join(source)} FROM {table}')).all()
    if not rows:
        return
    if not keyring:
        keyring.append(_keyring())
    sets = ', '.join(f'{t} = :{t}' for t in target)
    update = sa.text(f'UPDATE {table} SET {sets} WHERE {key} = :key')
    if seal:
        update = update.bindparams(*(sa.bindparam(t, type_=sa.LargeBinary()) for t in target))
    for row in rows:
        values = {
            t: keyring[0].encrypt_text(v) if seal else keyring[0].decrypt_text(bytes(v))
            for t, v in zip(target, row[1:], strict=True)
        }
        conn.execute(update, {'key': row[0], **values})


def upgrade() -> None:
    keyring: list[Keyring] = []  # loaded only if some table has rows to encrypt
    for table, (key, columns) in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(f'{column}_sealed', sa.LargeBinary(), nullable=True))
        _convert_rows(table, key, columns, keyring, seal=True)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
                batch_op.alter_column(
                    f'{column}_sealed', existing_type=sa.LargeBinary(), nullable=False
                )
    with op.batch_alter_table('gateway_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_users_email_fingerprint'))
        batch_op.create_unique_constraint(
            batch_op.f('uq_gateway_users_email_fingerprint'), ['email_fingerprint']
        )


def downgrade() -> None:
    with op.batch_alter_table('gateway_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_gateway_users_email_fingerprint'), type_='unique')
        batch_op.create_index(
            batch_op.f('ix_gateway_users_email_fingerprint'), ['email_fingerprint'], unique=False
        )
    keyring: list[Keyring] = []
    for table, (key, columns) in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.String(length=254), nullable=True))
        _convert_rows(table, key, columns, keyring, seal=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(f'{column}_sealed')
                batch_op.alter_column(column, existing_type=sa.String(length=254), nullable=False)
        if table == 'gateway_users':
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.create_unique_constraint(None, ['email'])
