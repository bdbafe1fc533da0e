"""Internal HTTP API of the transcribe service (reached only through the gateway).

``GET /internal/transcripts/{call_id}`` answers the normalized transcript (the
``clashtor_common.events.transcript.Transcript`` JSON), decrypted. Every lookup is
scoped by the caller's organization; a call of another organization, an unknown
call and a call not transcribed yet all answer the same 404 ``not_transcribed``, so
the answer never tells whether another organization's call exists. Inside the
organization, a restricted or failed call says so (``processing_restricted``,
``transcription_failed``).

The answer carries an ``ETag``: a hash of the stored ciphertext (a new transcript is a
new ciphertext). Sent back in ``If-None-Match`` (the gateway does, for the parts of the
call views it holds), it gets a bodiless 304 while the transcript is unchanged, after
the same access checks and before anything is decrypted, parsed or validated.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response

from clashtor_common.datakeys import call_key_id
from clashtor_common.errors import ApiError
from clashtor_common.etags import ETAG, matches, strong_etag
from clashtor_common.events.transcript import Transcript
from clashtor_common.identity import CurrentIdentity
from transcribe.adapters.objects import transcript_aad
from transcribe.adapters.repository import TranscriptRepository
from transcribe.domain.access import can_read
from transcribe.domain.outcomes import CallStatus
from transcribe.entrypoints.deps import ContextDep, SessionDep

router = APIRouter(prefix="/internal")

CallId = Annotated[str, Path(min_length=1, max_length=100)]


@router.get(
    "/transcripts/{call_id}",
    response_model=Transcript,
    responses={
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        404: {"description": "no transcript for this call (yet), or not yours"},
    },
)
async def get_transcript(
    call_id: CallId,
    identity: CurrentIdentity,
    ctx: ContextDep,
    session: SessionDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Any:
    """The call's transcript: utterances with speaker, times, text and words."""
    record = await TranscriptRepository(session, identity.org_id).get(call_id)
    if record is None or not can_read(identity, record.uploader_id):
        raise _not_transcribed(call_id)
    if record.status == CallStatus.RESTRICTED:
        raise ApiError(
            404,
            "processing_restricted",
            f"call {call_id} is not transcribed: a participant restricted processing",
        )
    if record.status == CallStatus.FAILED:
        raise ApiError(
            404,
            "transcription_failed",
            f"call {call_id} could not be transcribed ({record.failure_code})",
        )
    if not record.transcript_enc:
        raise _not_transcribed(call_id)
    etag = strong_etag(record.transcript_enc)
    if matches(if_none_match, etag):
        return Response(status_code=304, headers={ETAG: etag})
    response.headers[ETAG] = etag
    keys = await ctx.keys.load(session, [call_key_id(record.call_id)])
    plain = ctx.keyring.decrypt(
        record.transcript_enc, aad=transcript_aad(record.call_id), keys=keys
    )
    body: dict[str, Any] = json.loads(plain)
    return body


def _not_transcribed(call_id: str) -> ApiError:
    return ApiError(404, "not_transcribed", f"call {call_id} has no transcript (yet)")
