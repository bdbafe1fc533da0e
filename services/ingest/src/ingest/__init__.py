"""Ingest: call uploads, encrypted audio in S3, call status and plan quotas."""
