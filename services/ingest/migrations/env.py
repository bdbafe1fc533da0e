"""Alembic environment of the ingest database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from ingest.adapters.tables import TABLES
from ingest.settings import IngestSettings

run_migrations(TABLES, lambda: IngestSettings().database_url)
