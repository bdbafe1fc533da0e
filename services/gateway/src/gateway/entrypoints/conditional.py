"""Conditional reads: an ``ETag`` on an assembled view, ``If-None-Match`` answered 304.

The assembled call (ingest's call, transcript and score) is large and changes rarely
once scored: a client that polls it, or the web app coming back to a call page, sends
the ``ETag`` it holds and gets ``304 Not Modified`` with no body when nothing changed.

The tag is a hash of the view itself, so any change in any of its three sources shows,
and it is computed after the caller's access was checked (a tag never answers for a
call the caller may not see). ``Cache-Control: private, no-cache``: a browser may keep
the view but must revalidate it each time; no shared cache ever holds it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Response

REVALIDATE = "private, no-cache"
NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "not modified: the view still has the ETag sent in If-None-Match",
        "headers": {"ETag": {"schema": {"type": "string"}}},
    }
}


def view_etag(view: Any) -> str:
    """A strong entity tag of a JSON-shaped view (same content, same tag)."""
    canonical = json.dumps(view, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (RFC 9110 §13.1.2: weak comparison, ``*``)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def conditional(view: Any, if_none_match: str | None, response: Response) -> Any:
    """``view`` with its ``ETag``, or a bodiless 304 when the client already holds it."""
    etag = view_etag(view)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return view
