"""Composition root of the transcribe service: wires settings, database, bus and adapters.

The app factory calls it, and tests call it too, so both run the same wiring. The
engine comes from configuration: Deepgram when an API key is set, the bundled
faster-whisper model otherwise. ``call-uploaded`` is admitted to the durable queue by
the consumer and transcribed by the queue's workers (``service_layer.workers``).
"""

from __future__ import annotations

from datetime import timedelta

from clashtor_common.bus import dead_letter_headers
from clashtor_common.datakeys import KeyTable
from clashtor_common.events import Topic, dlq_topic
from clashtor_common.keyservice import producer_keys
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from transcribe.adapters.engines import make_engine
from transcribe.adapters.objects import EncryptedObjects
from transcribe.adapters.queue import Claim, JobQueue
from transcribe.adapters.tables import DataKeyRecord
from transcribe.context import EXTRAS_KEY, WORKERS_KEY, TranscribeContext
from transcribe.entrypoints.stream import ROUTES
from transcribe.service_layer.workers import TranscriptionWorkers
from transcribe.settings import TranscribeSettings


def bootstrap(settings: TranscribeSettings | None = None) -> ServiceRuntime:
    settings = settings or TranscribeSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    queue = JobQueue(
        runtime.db,
        lease=timedelta(seconds=settings.job_lease_seconds),
        fair=settings.fair_scheduling,
    )
    context = TranscribeContext(
        settings=settings,
        db=runtime.db,
        keyring=keyring,
        keys=KeyTable(DataKeyRecord, keyring),
        audio_keys=producer_keys(settings, keyring, settings.ingest_url),
        engine=make_engine(settings.transcription_config()),
        objects=EncryptedObjects(S3Store(settings)),
        queue=queue,
    )

    async def dead_letter(claim: Claim, exc: BaseException) -> None:
        topic = Topic.CALL_UPLOADED.value
        headers = dead_letter_headers(
            {}, exc, topic=topic, consumer=settings.consumer_group, attempts=claim.attempts + 1
        )
        await runtime.broker.publish(
            claim.raw, dlq_topic(topic), key=claim.call_id.encode(), headers=headers
        )

    runtime.extras[WORKERS_KEY] = TranscriptionWorkers(
        context,
        queue,
        dead_letter=dead_letter,
        concurrency=settings.concurrency,
        poll_seconds=settings.job_poll_seconds,
        retries=settings.consumer_retries(),
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
