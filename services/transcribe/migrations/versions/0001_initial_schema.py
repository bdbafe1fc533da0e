"""Initial transcribe schema: transcripts (encrypted), their participants (ids and
fingerprints), erasure tombstones, restrictions, and the outbox/inbox tables of libs/common.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 05:59:29.698693
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('consumer', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('handled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('transcribe_erased_calls',
    sa.Column('call_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('call_id')
    )
    with op.batch_alter_table('transcribe_erased_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcribe_erased_calls_org_id'), ['org_id'], unique=False)

    op.create_table('transcribe_erased_subjects',
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subject_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'subject_type', 'subject_key')
    )
    op.create_table('transcribe_restrictions',
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'fingerprint')
    )
    op.create_table('transcribe_transcripts',
    sa.Column('call_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('uploader_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('failure_code', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('failure_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('engine', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('channels', sa.Integer(), nullable=True),
    sa.Column('speakers', sa.Integer(), nullable=True),
    sa.Column('word_count', sa.Integer(), nullable=True),
    sa.Column('transcript_enc', sa.LargeBinary(), nullable=True),
    sa.Column('s3_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('call_id')
    )
    with op.batch_alter_table('transcribe_transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcribe_transcripts_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_transcribe_transcripts_org_uploader', ['org_id', 'uploader_id'], unique=False)

    op.create_table('transcribe_participants',
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('participant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['transcribe_transcripts.call_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'participant_id')
    )
    with op.batch_alter_table('transcribe_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcribe_participants_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_transcribe_participants_org_id'), ['org_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transcribe_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcribe_participants_org_id'))
        batch_op.drop_index(batch_op.f('ix_transcribe_participants_fingerprint'))

    op.drop_table('transcribe_participants')
    with op.batch_alter_table('transcribe_transcripts', schema=None) as batch_op:
        batch_op.drop_index('ix_transcribe_transcripts_org_uploader')
        batch_op.drop_index(batch_op.f('ix_transcribe_transcripts_org_id'))

    op.drop_table('transcribe_transcripts')
    op.drop_table('transcribe_restrictions')
    op.drop_table('transcribe_erased_subjects')
    with op.batch_alter_table('transcribe_erased_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcribe_erased_calls_org_id'))

    op.drop_table('transcribe_erased_calls')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_event_id'))

    op.drop_table('outbox')
    op.drop_table('inbox')
