"""Adapters of the privacy service: tables and queries, encrypted objects, download tokens."""
