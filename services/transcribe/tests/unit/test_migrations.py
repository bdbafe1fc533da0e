"""Alembic migrations build exactly the schema the tables declare (and tear it down)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command

from clashtor_common.testing.migrations import alembic_config, sqlite_migrations_test
from transcribe.adapters.tables import TABLES

SERVICE_DIR = Path(__file__).resolve().parents[2]


test_upgrade_to_head_matches_the_tables_in_code_and_downgrade_removes_them = sqlite_migrations_test(
    __file__, TABLES
)


def test_jobs_queued_before_the_subject_index_are_indexed_from_their_events(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'transcribe.db'}"
    config = alembic_config(SERVICE_DIR, url)
    command.upgrade(config, "0004")
    event = {
        "data": {
            "call_id": "call-1",
            "uploader_id": "rep-1",
            "participants": [
                {"participant_id": "p-1", "role": "customer", "fingerprint": "fp-1"},
                {"participant_id": "p-2", "role": "rep", "fingerprint": None},
            ],
        }
    }
    with sqlite3.connect(tmp_path / "transcribe.db") as db:
        db.execute(
            "INSERT INTO transcribe_jobs (call_id, org_id, event_id, envelope, trace, "
            "queued_at, attempts) VALUES ('call-1', 'org-1', 'e-1', ?, '{}', "
            "'2026-12-07 06:00:00', 0)",
            (json.dumps(event),),
        )
    command.upgrade(config, "head")
    with sqlite3.connect(tmp_path / "transcribe.db") as db:
        rows = db.execute(
            "SELECT call_id, org_id, subject_type, subject_key FROM transcribe_job_subjects"
        ).fetchall()
    assert sorted(rows) == [
        ("call-1", "org-1", "participant", "fp-1"),
        ("call-1", "org-1", "participant", "p-1"),
        ("call-1", "org-1", "participant", "p-2"),
        ("call-1", "org-1", "user", "rep-1"),
    ]
