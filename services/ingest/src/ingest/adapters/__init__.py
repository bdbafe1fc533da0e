"""Ingest adapters: tables and repositories, audio probing, encrypted object storage, uploads."""
