"""Crypto-shredding: the gateway's key table, and sealed personal data re-encrypted
under each subject's data key (``user:<id>``, ``invitation:<id>``, ``org:<id>``).

Rows sealed by 0004 are self-keyed records (``CTR1``) that the master keys open for ever;
each is re-encrypted as ``CTR2`` under its subject's key, made here and wrapped by the
active master key, so destroying that key erases them. The master keys must be
configured (``GATEWAY_MASTER_KEYS``) when a database that has rows is upgraded. The
downgrade turns them back into self-keyed records. Idempotency answers stay ``CTR1``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clashtor_common.crypto import DataKey, Keyring, WrappedKey, data_key_id
from clashtor_common.datakeys import create_key_table

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = 'gateway_data_keys'
# table -> (row key column, subject key prefix, column holding the subject id, sealed columns)
SEALED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    'gateway_organizations': ('id', 'org', 'id', ('name_sealed',)),
    'gateway_users': ('id', 'user', 'id', ('name_sealed', 'email_sealed')),
    'gateway_invitations': ('id', 'invitation', 'id', ('email_sealed',)),
    'gateway_pending_rectifications': ('user_id', 'user', 'user_id', ('previous_email_sealed',)),
    'gateway_email_changes': ('user_id', 'user', 'user_id', ('new_email_sealed',)),
}


def _keyring() -> Keyring:
    from gateway.settings import GatewaySettings

    return Keyring.from_config(GatewaySettings().master_keys.get_secret_value())


class _Keys:
    """Subject keys, loaded from or added to the key table as rows need them."""

    def __init__(self, conn: sa.Connection, keyring: Keyring) -> None:
        self.conn, self.keyring = conn, keyring
        self.keys: dict[str, DataKey] = {}

    def get(self, key_id: str) -> DataKey:
        if key_id not in self.keys:
            row = self.conn.execute(
                sa.text(f'SELECT master_kid, wrapped FROM {KEYS} WHERE id = :id'), {'id': key_id}
            ).first()
            if row is not None:
                key = self.keyring.unwrap(WrappedKey(key_id, row[0], bytes(row[1])))
            else:
                key = DataKey.generate(key_id)
                sealed = self.keyring.wrap(key)
                self.conn.execute(
                    sa.text(
                        f'INSERT INTO {KEYS} (id, master_kid, wrapped, created_at)'
                        ' VALUES (:id, :kid, :wrapped, CURRENT_TIMESTAMP)'
                    ).bindparams(sa.bindparam('wrapped', type_=sa.LargeBinary())),
                    {'id': key_id, 'kid': sealed.master_kid, 'wrapped': sealed.wrapped},
                )
            self.keys[key_id] = key
        return self.keys[key_id]


def _convert(*, to_subject_keys: bool) -> None:
    conn = op.get_bind()
    keyring: Keyring | None = None
    keys: _Keys | None = None
    for table, (row_key, prefix, subject, columns) in SEALED.items():
        rows = conn.execute(
            sa.text(f'SELECT {row_key}, {subject}, {", ".join(columns)} FROM {table}')
        ).all()
        if not rows:
            continue
        keyring = keyring or _keyring()
        keys = keys or _Keys(conn, keyring)
        sets = ', '.join(f'{c} = :{c}' for c in columns)
        update = sa.text(f'UPDATE {table} SET {sets} WHERE {row_key} = :row').bindparams(
            *(sa.bindparam(c, type_=sa.LargeBinary()) for c in columns)
        )
        for row in rows:
            key = keys.get(f'{prefix}:{row[1]}')
            values = {}
            for column, value in zip(columns, row[2:], strict=True):
                blob = bytes(value)
                plain = keyring.decrypt_text(blob, keys={key.id: key})
                if to_subject_keys:
                    values[column] = (
                        blob if data_key_id(blob) else keyring.encrypt_text(plain, key=key)
                    )
                else:
                    values[column] = keyring.encrypt_text(plain)
            conn.execute(update, {'row': row[0], **values})


def upgrade() -> None:
    create_key_table(op, KEYS)
    _convert(to_subject_keys=True)


def downgrade() -> None:
    _convert(to_subject_keys=False)
    op.drop_table(KEYS)
