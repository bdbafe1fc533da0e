"""Ingest domain: call status rules, plan quotas, participants, access, errors (no I/O)."""
