"""Alembic environment of the transcribe database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from transcribe.adapters.tables import TABLES
from transcribe.settings import TranscribeSettings

run_migrations(TABLES, lambda: TranscribeSettings().database_url)
