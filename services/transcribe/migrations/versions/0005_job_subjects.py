"""Whom each queued transcription is about (uploader, participants' ids and fingerprints),
indexed: an erasure finds the subject's queued calls without reading the whole queue.
Jobs already queued are indexed from their events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:50:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    subjects = op.create_table(
        "transcribe_job_subjects",
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["transcribe_jobs.call_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", "subject_type", "subject_key"),
    )
    with op.batch_alter_table("transcribe_job_subjects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transcribe_job_subjects_subject",
            ["org_id", "subject_type", "subject_key"],
            unique=False,
        )
    jobs = op.get_bind().execute(sa.text("SELECT call_id, org_id, envelope FROM transcribe_jobs"))
    rows = []
    for call_id, org_id, envelope in jobs:
        data = json.loads(envelope).get("data", {})
        keys = {("user", data.get("uploader_id"))}
        for person in data.get("participants") or []:
            keys |= {("participant", person.get("participant_id"))}
            keys |= {("participant", person.get("fingerprint"))}
        rows += [
            {"call_id": call_id, "subject_type": kind, "subject_key": key, "org_id": org_id}
            for kind, key in sorted(k for k in keys if k[1])
        ]
    if rows:
        op.bulk_insert(subjects, rows)


def downgrade() -> None:
    with op.batch_alter_table("transcribe_job_subjects", schema=None) as batch_op:
        batch_op.drop_index("ix_transcribe_job_subjects_subject")
    op.drop_table("transcribe_job_subjects")
