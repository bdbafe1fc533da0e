"""Alembic environment of the gateway database: see ``clashtor_common.alembic_env``."""

from clashtor_common.alembic_env import run_migrations
from gateway.adapters.tables import TABLES
from gateway.settings import GatewaySettings

run_migrations(TABLES, lambda: GatewaySettings().database_url)
