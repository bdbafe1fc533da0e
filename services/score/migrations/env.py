"""Alembic environment of the score database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from score.adapters.tables import TABLES
from score.settings import ScoreSettings

run_migrations(TABLES, lambda: ScoreSettings().database_url)
