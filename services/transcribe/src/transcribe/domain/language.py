"""Which language a call is transcribed in, and where that choice came from.

A language set for the one call (at upload) wins over the organization's, which wins
over detection: people who know their calls are in Portuguese should not pay for a
detector's guess on a call that opens with an English greeting.
"""

from __future__ import annotations

from clashtor_common.events.transcript import LanguageSource


def requested_language(
    upload_language: str | None, org_language: str | None
) -> tuple[str | None, LanguageSource | None]:
    """The language to force for this call and its source; ``(None, None)`` = the engine
    decides (its configured language, or detection)."""
    if upload_language:
        return upload_language, "upload"
    if org_language:
        return org_language, "organization"
    return None, None
