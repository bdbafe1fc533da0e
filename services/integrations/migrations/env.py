"""Alembic environment of the integrations database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from integrations.adapters.tables import TABLES
from integrations.settings import IntegrationsSettings

run_migrations(TABLES, lambda: IntegrationsSettings().database_url)
