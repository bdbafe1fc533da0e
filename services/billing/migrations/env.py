"""Alembic environment of the billing database: see ``clashtor_common.alembic_env``."""

from billing.adapters.tables import TABLES
from billing.settings import BillingSettings
from clashtor_common.alembic_env import run_migrations

run_migrations(TABLES, lambda: BillingSettings().database_url)
