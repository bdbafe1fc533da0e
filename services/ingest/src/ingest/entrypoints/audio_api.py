"""``/internal/calls/{id}/audio``: the decrypted recording, with HTTP Range support."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from clashtor_common.crypto import StreamDecryptor
from clashtor_common.identity import CurrentIdentity
from clashtor_common.s3 import ObjectNotFound
from ingest.adapters.object_store import EncryptedObjects
from ingest.domain.errors import CallNotFound
from ingest.domain.formats import stored_format
from ingest.entrypoints.calls_api import load_visible_call
from ingest.entrypoints.deps import ContextDep
from ingest.entrypoints.ranges import parse_range

log = logging.getLogger(__name__)
router = APIRouter(tags=["calls"])


async def _body(
    objects: EncryptedObjects,
    key: str,
    start: int,
    end: int,
    size: int,
    decryptor: StreamDecryptor,
) -> AsyncIterator[bytes]:
    try:
        async for piece in objects.read_range(key, start, end, size, decryptor):
            yield piece
    except Exception:  # headers are gone already: log and cut the response short
        log.exception("audio stream of %s broke off", key)
        raise


@router.get(
    "/calls/{call_id}/audio",
    response_class=StreamingResponse,
    responses={206: {"description": "the requested byte range"}, 416: {"description": "bad range"}},
)
async def get_audio(
    call_id: str, request: Request, identity: CurrentIdentity, ctx: ContextDep
) -> StreamingResponse:
    """The call's audio, decrypted on the fly; only the chunks a Range needs are fetched."""
    call, _, sealer = await load_visible_call(ctx, identity, call_id)
    size = call.size_bytes
    byte_range = parse_range(request.headers.get("range"), size)
    try:
        decryptor = await ctx.objects.decryptor(call.s3_key, sealer.keys)
    except ObjectNotFound as exc:
        raise CallNotFound(f"the audio of call {call_id} is gone") from exc
    fmt = stored_format(call.audio_format)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'inline; filename="{call.id}.{fmt.extension}"',
    }
    start, end, status = 0, size, 200
    if byte_range is not None:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(
        _body(ctx.objects, call.s3_key, start, end, size, decryptor),
        status_code=status,
        media_type=call.content_type,
        headers=headers,
    )
