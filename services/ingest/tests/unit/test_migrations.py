"""The Alembic migrations build exactly the schema the tables declare (and tear it down)."""

from clashtor_common.testing.migrations import sqlite_migrations_test
from ingest.adapters.tables import TABLES

test_upgrade_to_head_matches_the_tables_in_code_and_downgrade_removes_them = sqlite_migrations_test(
    __file__, TABLES
)
