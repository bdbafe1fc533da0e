"""Clashtor integrations service: what Clashtor learns reaches the places teams work."""
