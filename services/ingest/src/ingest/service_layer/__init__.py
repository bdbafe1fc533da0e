"""Ingest use cases: uploads, call views, status, quotas, privacy rights."""
