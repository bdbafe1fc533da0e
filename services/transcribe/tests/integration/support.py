"""Running transcribe for real in a test: the app, an ingest stand-in, the broker and S3.

``Uploader`` plays ingest's part: it encrypts a recording with the stream format into a
bucket of its own (transcribe never gets that bucket's name or credentials, only the
object reference), publishes ``call-uploaded`` on the real broker and answers
transcribe's requests for the audio's data key over HTTP (``settings.ingest_url``), 410
for a key it does not have (destroyed).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text

from clashtor_callgen import GeneratedCall
from clashtor_common.crypto import DataKey, Keyring, fingerprint
from clashtor_common.datakeys import call_key_id
from clashtor_common.events import (
    CallUploaded,
    Envelope,
    EventPayload,
    ObjectRef,
    ParticipantRef,
    make_event,
)
from clashtor_common.events.transcript import Transcript
from clashtor_common.inbox import InboxRecord
from clashtor_common.s3 import S3Store
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.apps import InternalClient, settings_for_tests
from clashtor_common.testing.events import new_org  # noqa: F401 - used by the tests
from clashtor_common.testing.kafka import TopicReader, start_group_at_end  # noqa: F401 - re-exported for the tests
from clashtor_common.testing.keys import ProducerKeys, producer_url
from transcribe.adapters.tables import TABLES, TranscriptRecord
from transcribe.context import TranscribeContext
from transcribe.domain.quality import speaker_attribution, word_error_rate
from transcribe.settings import TranscribeSettings


# The default model (Whisper base) with greedy decoding: the machine running the suite is
# shared; beam 5, the service default, is measured in bench/.
def transcribe_settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any], **overrides: Any
) -> TranscribeSettings:
    """Test settings; ingest's address is where the ``Uploader``'s key server answers."""
    overrides.setdefault("whisper_beam_size", 1)
    overrides.setdefault("ingest_url", producer_url())
    return settings_for_tests(
        TranscribeSettings,
        "transcribe",
        kafka_bootstrap=kafka_bootstrap,
        database_url=database_url,
        s3_settings=s3_settings,
        **overrides,
    )


def new_call_id() -> str:
    return str(uuid.uuid4())


async def _aiter(data: bytes, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), piece):
        yield data[i : i + piece]


class Uploader:
    """Stands in for ingest: encrypted recordings in its own bucket, ``call-uploaded`` out."""

    def __init__(self, settings: TranscribeSettings, kafka_bootstrap: str) -> None:
        tag = uuid.uuid4().hex[:8]
        ingest_side = ServiceSettings(
            service_name=f"ingest-standin-{tag}",
            environment="test",
            s3_endpoint=settings.s3_endpoint,
            s3_access_key=settings.s3_access_key,
            s3_secret_key=settings.s3_secret_key,
            s3_bucket=f"ingest-standin-{tag}",
        )
        self.store = S3Store(ingest_side)
        # One key ring for both sides here; in production both unwrap through the KMS.
        self.keyring = Keyring.from_config(settings.master_keys.get_secret_value())
        self.fingerprint_secret = settings.fingerprint_secret.get_secret_value()
        self.key_server = ProducerKeys(
            settings.ingest_url, self.keyring, settings.identity_secret.get_secret_value()
        )
        """Each recording's data key, served as ingest serves it (the event only names it)."""
        self.producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)

    @property
    def key_requests(self) -> list[str]:
        return self.key_server.requests

    async def start(self) -> None:
        await self.producer.start()
        await self.key_server.start()

    async def stop(self) -> None:
        await self.key_server.stop()
        await self.producer.stop()

    def destroy_key(self, call_id: str) -> None:
        """As ingest's erasure does: the audio's key row is gone."""
        del self.key_server.keys[call_key_id(call_id)]

    def fp(self, email: str) -> str:
        return fingerprint(self.fingerprint_secret, email)

    async def put_recording(self, org: str, call_id: str, data: bytes) -> tuple[str, ObjectRef]:
        """Encrypt ``data`` (stream format under the call's data key, as ingest does); its
        key and its reference."""
        data_key = self.key_server.keys.setdefault(
            call_key_id(call_id), DataKey.generate(call_key_id(call_id))
        )
        blob = b"".join([c async for c in self.keyring.encrypt_stream(_aiter(data), key=data_key)])
        key = f"orgs/{org}/calls/{call_id}.audio.enc"
        await self.store.put_bytes(key, blob)
        return key, self.store.ref(key)

    def call_uploaded(
        self,
        org: str,
        call_id: str,
        audio: ObjectRef,
        *,
        audio_format: str = "wav",
        uploader: str = "user-1",
        duration: float = 17.0,
        channels: int = 2,
        participants: Sequence[ParticipantRef] = (),
        restricted: bool = False,
        language: str | None = None,
    ) -> Envelope:
        payload = CallUploaded(
            call_id=call_id,
            uploader_id=uploader,
            audio=audio,
            audio_key_id=call_key_id(call_id)
            if call_key_id(call_id) in self.key_server.keys
            else None,
            audio_format=audio_format,
            duration=duration,
            channels=channels,
            sample_rate=16000,
            size_bytes=0,
            participants=list(participants),
            processing_restricted=restricted,
            language=language,
        )
        return make_event(
            payload,
            source="ingest",
            org_id=org,
            key=call_id,
            subject_ids=[
                call_id,
                uploader,
                *(p.fingerprint for p in participants if p.fingerprint),
            ],
        )

    async def upload(self, org: str, data: bytes, **kwargs: Any) -> Envelope:
        """Store the recording and publish its ``call-uploaded`` (``stage``'s arguments)."""
        return await self.send(await self.stage(org, data, **kwargs))

    async def stage(
        self,
        org: str,
        data: bytes,
        *,
        call_id: str | None = None,
        audio_format: str = "wav",
        **kwargs: Any,
    ) -> Envelope:
        """Store the recording; its ``call-uploaded``, not sent."""
        call_id = call_id or new_call_id()
        _, ref = await self.put_recording(org, call_id, data)
        return self.call_uploaded(org, call_id, ref, audio_format=audio_format, **kwargs)

    async def send(self, envelope: Envelope) -> Envelope:
        await self.producer.send_and_wait(
            envelope.type, envelope.to_bytes(), key=envelope.key.encode()
        )
        return envelope

    async def publish(self, payload: EventPayload, *, org: str, key: str | None = None) -> Envelope:
        return await self.send(make_event(payload, source="test", org_id=org, key=key or org))


def measure(
    call: GeneratedCall, transcript: Transcript, label: str, *, best_permutation: bool = True
) -> tuple[float, float]:
    """Word error rate and speaker accuracy of ``transcript`` against the generated call's
    truth, printed under ``label`` for the test log."""
    wer = word_error_rate(call.text, transcript.text)
    attribution = speaker_attribution(
        call.words(),
        [(w.word, w.speaker) for w in transcript.words],
        best_permutation=best_permutation,
    )
    print(f"\n{label}: WER={wer:.3f} speaker accuracy={attribution.accuracy:.3f}")
    return wer, attribution.accuracy


def participant(role: str = "customer", fp: str | None = None) -> ParticipantRef:
    return ParticipantRef(participant_id=str(uuid.uuid4()), role=role, fingerprint=fp)  # type: ignore[arg-type]


def replayed(envelope: Envelope) -> Envelope:
    """The same upload as a new event (a new id): the inbox cannot recognise it."""
    return envelope.model_copy(update={"id": uuid.uuid4()})


class TranscribeClient(InternalClient):
    """transcribe's internal API."""

    async def transcript(self, org: str, call_id: str, **who: Any) -> httpx.Response:
        return await self.http.get(
            f"/internal/transcripts/{call_id}", headers=self.headers(org, **who)
        )


# database ---------------------------------------------------------------------------------


async def handled(ctx: TranscribeContext, event: Envelope) -> bool:
    async with ctx.db.session() as session:
        found = await session.execute(
            select(InboxRecord.event_id).where(
                InboxRecord.consumer == ctx.settings.consumer_group,
                InboxRecord.event_id == event.id,
            )
        )
        return found.first() is not None


async def record_of(ctx: TranscribeContext, call_id: str) -> TranscriptRecord | None:
    async with ctx.db.session() as session:
        return await session.get(TranscriptRecord, call_id)


async def count_records(ctx: TranscribeContext, org: str) -> int:
    async with ctx.db.session() as session:
        found = await session.execute(
            select(func.count()).select_from(TranscriptRecord).where(TranscriptRecord.org_id == org)
        )
        return int(found.scalar_one())


async def raw_database_bytes(ctx: TranscribeContext) -> bytes:
    """Every stored value of the service's tables and its outbox, as raw bytes."""
    names = [t.__tablename__ for t in TABLES] + ["outbox"]  # type: ignore[attr-defined]
    out = bytearray()
    async with ctx.db.session() as session:
        for name in names:
            rows = await session.execute(text(f"SELECT * FROM {name}"))
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        out += bytes(value)
                    elif value is not None:
                        out += str(value).encode()
                    out += b"\x00"
    return bytes(out)


def sqlite_path(database_url: str) -> Path | None:
    return Path(database_url.split("///", 1)[1]) if database_url.startswith("sqlite") else None
