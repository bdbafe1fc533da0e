"""Alembic environment of the privacy database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from privacy.adapters.tables import TABLES
from privacy.settings import PrivacySettings

run_migrations(TABLES, lambda: PrivacySettings().database_url)
