"""The transcribe service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
The transcription engine is built once per process (the local model is loaded once,
the Deepgram client keeps one connection pool) and closed on shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable
from clashtor_common.db import Database
from clashtor_common.keyservice import DataKeyClient
from clashtor_common.service import ServiceRuntime
from transcribe.adapters.objects import EncryptedObjects
from transcribe.domain.ports import TranscriptionEngine
from transcribe.settings import TranscribeSettings

EXTRAS_KEY = "transcribe"
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

    async def aclose(self) -> None:
        await self.engine.aclose()


def context_of(runtime: ServiceRuntime) -> TranscribeContext:
    context: TranscribeContext = runtime.extras[EXTRAS_KEY]
    return context
