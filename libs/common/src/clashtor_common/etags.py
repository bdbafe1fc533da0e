"""Entity tags for conditional reads: a strong tag of some bytes, ``If-None-Match`` matching.

The gateway tags the views it answers, and asks the services for their parts with the
tags it holds (``If-None-Match``): a service that finds its part unchanged answers a
bodiless 304 instead of decrypting, validating and sending it again. A tag is a hash of
what the caller would get, computed after the caller's access was checked, so a 304
never answers for something the caller may not see.
"""

from __future__ import annotations

import hashlib

IF_NONE_MATCH = "if-none-match"
ETAG = "etag"


def strong_etag(*parts: bytes) -> str:
    """A strong entity tag of ``parts`` (same bytes, same tag)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return '"' + digest.hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (RFC 9110 §13.1.2: weak comparison, ``*``)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
