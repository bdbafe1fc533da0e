"""``GET /v1/calls/{id}``'s view: asked of its three owners per read, rebuilt only on change.

Ingest answers for the call as the caller (404 for a call they may not see, another
organization's or an erased one); transcribe and score are asked with the ETags of the
parts the gateway holds (``CallViewCache``) and answer 304 when those are current. The
view is assembled, validated against ``CallOut`` and serialized only when a part
changed; otherwise the body built before is answered as it is.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi.responses import JSONResponse

from clashtor_common.errors import ApiError
from clashtor_common.etags import strong_etag
from clashtor_common.identity import Identity
from gateway.adapters.call_views import CachedView, Part, ReadKey
from gateway.adapters.services import json_body
from gateway.context import Gateway
from gateway.domain import call_view
from gateway.domain.principal import Principal
from gateway.entrypoints.schemas import CallOut


def render(view: dict[str, object]) -> bytes:
    """The public JSON of ``view``, as FastAPI would answer it with ``response_model=CallOut``."""
    content = CallOut.model_validate(view).model_dump(mode="json", by_alias=True)
    return bytes(JSONResponse(content).body)


async def call_view_of(gw: Gateway, principal: Principal, call_id: str) -> CachedView:
    """The caller's view of the call: the cached one when no source changed.

    Readers asking as the same caller for the same call while ingest has not yet
    answered the round share that round (``SingleFlight``) instead of asking again each.
    Once ingest has answered, later readers start their own round: ingest's answer (the
    call exists, is theirs, is not erased) is never older than a reader's request, even
    on a replica that was not told of an erasure. Nor does a reader join a round begun
    before a forget (the key holds ``stamp()``, which every forget moves)."""
    identity = principal.identity()
    since = gw.views.stamp()  # a forget from here on (an erasure) keeps this read's view out
    round_key = (identity, call_id, since)
    return await gw.views.reads.run(
        round_key, lambda: _read_view(gw, identity, call_id, since, round_key)
    )


async def _read_view(
    gw: Gateway, identity: Identity, call_id: str, since: int, round_key: ReadKey
) -> CachedView:
    key = quote(call_id, safe="")
    org_id = identity.org_id
    resp = await gw.services.get("ingest", f"/internal/calls/{key}", identity=identity)
    gw.views.reads.close_to_joiners(round_key)
    if resp.status_code >= 400:
        gw.views.discard(org_id, call_id)  # gone or not theirs: keep nothing of it
    call = json_body("ingest", resp)
    if not isinstance(call, dict) or "id" not in call:
        raise ApiError(502, "upstream_error", "the ingest service answered nonsense")
    cached = gw.views.get(org_id, call_id)
    (t_changed, t_etag, t_body), (s_changed, s_etag, s_body) = await asyncio.gather(
        gw.services.get_part(
            "transcribe",
            f"/internal/transcripts/{key}",
            identity=identity,
            etag=cached.transcript.etag if cached else None,
        ),
        gw.services.get_part(
            "score",
            f"/internal/scores/{key}",
            identity=identity,
            etag=cached.score.etag if cached else None,
        ),
    )
    if cached is not None and not (t_changed or s_changed) and cached.call_raw == resp.content:
        return cached
    transcript = Part(t_etag, t_body) if t_changed or cached is None else cached.transcript
    score = Part(s_etag, s_body) if s_changed or cached is None else cached.score
    body = render(call_view.assemble(call, transcript.body, score.body))
    view = CachedView(resp.content, transcript, score, body, strong_etag(body))
    gw.views.put(org_id, call_id, view, since=since)
    return view
