"""Conditional reads: an ``ETag`` on an assembled view, ``If-None-Match`` answered 304.

The assembled call (ingest's call, transcript and score) is large and changes rarely
once scored: a client that polls it, or the web app coming back to a call page, sends
the ``ETag`` it holds and gets ``304 Not Modified`` with no body when nothing changed.

The tag is a hash of the response body itself, so any change in any of its three
sources shows, and it is answered only after the caller's access was checked (a tag
never answers for a call the caller may not see). ``Cache-Control: private, no-cache``:
a browser may keep the view but must revalidate it each time; no shared cache ever
holds it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from clashtor_common.etags import matches

REVALIDATE = "private, no-cache"
NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "not modified: the view still has the ETag sent in If-None-Match",
        "headers": {"ETag": {"schema": {"type": "string"}}},
    }
}


def conditional_body(body: bytes, etag: str, if_none_match: str | None) -> Response:
    """The prebuilt JSON ``body`` with its ``ETag``, or a bodiless 304 when the client
    already holds it."""
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
