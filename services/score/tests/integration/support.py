"""Helpers of score's integration tests: the running service, transcripts in S3, topics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from clashtor_common.crypto import DataKey, Keyring
from clashtor_common.events import (
    CallTranscribed,
    Envelope,
    ObjectRef,
    ParticipantRef,
)
from clashtor_common.events.transcript import Transcript
from clashtor_common.s3 import S3Store
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.apps import identity_headers, serve, settings_for_tests
from clashtor_common.testing.events import new_org  # noqa: F401 - used by the tests
from clashtor_common.testing.kafka import TopicReader as SharedTopicReader
from clashtor_common.testing.kafka import (
    event_for,
    publish,
    start_group_at_end,
)
from clashtor_common.testing.waiting import wait_until  # noqa: F401 - used by the tests
from score.context import ScoreContext, context_of
from score.domain.synthetic import build_transcript
from score.entrypoints.stream import CONSUMES
from score.main import create_app
from score.settings import ScoreSettings

MASTER_KEYS = f"test1:{Keyring.generate_key()}"
IDENTITY_SECRET = "score-tests-identity-secret-of-32-bytes-or-more"
KEYRING = Keyring.from_config(MASTER_KEYS)

#: The call the recorded OpenAI reply (tests/fixtures/coach_reply.json) was made for.
DISCOVERY_CALL = build_transcript(
    [
        (
            0,
            0.0,
            12.0,
            "Thanks for taking the time today. "
            "What is the biggest challenge with coaching your reps?",
        ),
        (
            1,
            13.0,
            40.0,
            "Honestly it is all manual. We review maybe two calls a month "
            "and new reps take six months to ramp.",
        ),
        (0, 40.8, 52.0, "That is a long ramp. Who else would be involved in a decision like this?"),
        (1, 53.0, 70.0, "My boss has the final say, and we want something live by next quarter."),
        (
            0,
            70.7,
            80.0,
            "Makes sense. Shall we book a time next week to walk your boss through a demo?",
        ),
    ]
)
#: Phrases of DISCOVERY_CALL that must never appear in score's stored bytes or events.
SECRET_PHRASES = (
    "biggest challenge with coaching",
    "all manual",
    "six months to ramp",
    "My boss has the final say",
    "walk your boss through a demo",
)


def score_settings(
    bootstrap: str, database_url: str, s3_settings: dict[str, Any], **extra: Any
) -> ScoreSettings:
    extra = {
        "master_keys": MASTER_KEYS,
        "identity_secret": IDENTITY_SECRET,
        "s3_bucket": "score-tests",
        **extra,
    }
    return settings_for_tests(ScoreSettings, "score", bootstrap, database_url, s3_settings, **extra)


@dataclass
class RunningScore:
    url: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def ctx(self) -> ScoreContext:
        return context_of(self.app.state.runtime)

    def as_member(
        self,
        org_id: str,
        role: str = "admin",
        user_id: str = "admin-1",
        team: tuple[str, ...] = (),
    ) -> dict[str, str]:
        return identity_headers(IDENTITY_SECRET, org_id, user_id=user_id, role=role, team=team)

    async def score_of(self, org_id: str, call_id: str, **member: Any) -> httpx.Response:
        return await self.client.get(
            f"/internal/scores/{call_id}", headers=self.as_member(org_id, **member)
        )


@asynccontextmanager
async def running_score(settings: ScoreSettings) -> AsyncIterator[RunningScore]:
    # A fresh group would start at the earliest offset and pick up other modules' events.
    await start_group_at_end(settings.kafka_bootstrap, settings.consumer_group, CONSUMES)
    app = create_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield RunningScore(url, app, client)


def new_call() -> str:
    return str(uuid.uuid4())


class Transcripts:
    """Transcribe's side of the claim check: encrypted transcript objects in S3."""

    def __init__(self, s3_settings: dict[str, Any]) -> None:
        self.store = S3Store(ServiceSettings(s3_bucket="transcribe-tests", **s3_settings))

    async def put(
        self, call_id: str, transcript: Transcript | bytes, *, key: DataKey | None = None
    ) -> ObjectRef:
        """Store the transcript as transcribe does (aad = call id; under ``key``, or
        self-keyed); its object reference."""
        plain = (
            transcript if isinstance(transcript, bytes) else transcript.model_dump_json().encode()
        )
        name = f"transcripts/{call_id}.json.enc"
        await self.store.put_bytes(name, KEYRING.encrypt(plain, aad=call_id.encode(), key=key))
        return self.store.ref(name)

    async def delete(self, call_id: str) -> None:
        await self.store.delete(f"transcripts/{call_id}.json.enc")


def transcribed(
    call_id: str,
    ref: ObjectRef,
    *,
    uploader: str = "rep-1",
    transcript: Transcript = DISCOVERY_CALL,
    participants: list[ParticipantRef] | None = None,
    transcript_key_id: str | None = None,
) -> CallTranscribed:
    return CallTranscribed(
        call_id=call_id,
        uploader_id=uploader,
        transcript=ref,
        transcript_key_id=transcript_key_id,
        engine="local",
        model="tiny.en",
        language="en",
        duration=transcript.duration,
        channels=transcript.channels,
        speakers=transcript.speakers,
        word_count=transcript.word_count,
        participants=participants or [],
    )


class TopicReader(SharedTopicReader):
    """Reads one topic from the beginning; keeps every parsed envelope."""

    def about(self, org_id: str, call_id: str) -> list[Envelope]:
        return [
            e
            for e in self.seen
            if e.org_id == org_id and e.data.get("call_id") == call_id and e.source == "score"
        ]


@dataclass
class BusCalls:
    """Calls scored the way they arrive in production: the transcript stored, a
    ``call-transcribed`` published on the broker, its ``call-scored`` awaited."""

    bootstrap: str
    transcripts: Transcripts
    scored: TopicReader

    async def score(
        self,
        org_id: str,
        *,
        call_id: str | None = None,
        uploader: str = "rep-1",
        transcript: Transcript = DISCOVERY_CALL,
        participants: list[ParticipantRef] | None = None,
    ) -> tuple[str, Envelope]:
        """The call's id and its ``call-scored`` event."""
        call_id = call_id or new_call()
        event = await self.transcribed(
            org_id, call_id, transcript, uploader=uploader, participants=participants
        )
        await self.publish(event)
        [scored] = await self.scored.wait_for(
            lambda e: e.org_id == org_id and e.data.get("call_id") == call_id
        )
        return call_id, scored

    async def transcribed(
        self,
        org_id: str,
        call_id: str,
        transcript: Transcript | bytes = DISCOVERY_CALL,
        **fields: Any,
    ) -> Envelope:
        """A ``call-transcribed`` of the call (a new event id each time) for ``transcript``,
        stored first; bytes are stored as they are, for a transcript that breaks the schema."""
        ref = await self.transcripts.put(call_id, transcript)
        if isinstance(transcript, Transcript):
            fields["transcript"] = transcript
        return event_for(transcribed(call_id, ref, **fields), org_id, key=call_id)

    async def publish(self, *events: Envelope) -> None:
        await publish(self.bootstrap, *events)

    async def scored_id(self, org_id: str, **kwargs: Any) -> str:
        """A new scored call's id (``score``'s options)."""
        return (await self.score(org_id, **kwargs))[0]
