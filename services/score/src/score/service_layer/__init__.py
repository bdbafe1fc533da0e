"""Use cases of the score service: scoring, coaching configuration, privacy, analytics."""
