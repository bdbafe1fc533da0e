"""The transcribe service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
The transcription engine is built once per process (the local model is loaded once,
the Deepgram client keeps one connection pool) and closed on shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable
from clashtor_common.db import Database
from clashtor_common.keyservice import DataKeyClient
from clashtor_common.service import ServiceRuntime
from transcribe.adapters.objects import EncryptedObjects
from transcribe.adapters.queue import JobQueue
from transcribe.domain.ports import TranscriptionEngine
from transcribe.settings import TranscribeSettings

if TYPE_CHECKING:
    from transcribe.service_layer.workers import TranscriptionWorkers

EXTRAS_KEY = "transcribe"
WORKERS_KEY = "transcribe-workers"
SERVICE = "transcribe"


@dataclass
class TranscribeContext:
    settings: TranscribeSettings
    db: Database
    keyring: Keyring
    keys: KeyTable
    audio_keys: DataKeyClient
    """ingest, asked for the audio key a call-uploaded names"""
    engine: TranscriptionEngine
    objects: EncryptedObjects
    queue: JobQueue
    """calls admitted for transcription, taken by the workers in fair order"""

    async def aclose(self) -> None:
        await self.engine.aclose()


def context_of(runtime: ServiceRuntime) -> TranscribeContext:
    context: TranscribeContext = runtime.extras[EXTRAS_KEY]
    return context


def workers_of(runtime: ServiceRuntime) -> TranscriptionWorkers:
    workers: TranscriptionWorkers = runtime.extras[WORKERS_KEY]
    return workers
