"""The score service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable
from clashtor_common.db import Database
from clashtor_common.keyservice import DataKeyClient
from clashtor_common.periodic import Periodic
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from score.domain.coaching import Coach
from score.settings import ScoreSettings

EXTRAS_KEY = "score"
log = logging.getLogger(__name__)


@dataclass
class ScoreContext:
    settings: ScoreSettings
    db: Database
    keyring: Keyring
    keys: KeyTable
    transcript_keys: DataKeyClient
    """transcribe, asked for the transcript key a call-transcribed names"""
    s3: S3Store
    coach: Coach
    rescorer: Periodic | None = None
    """The background worker of re-score jobs (``service_layer.rescore.run_jobs``)."""

    def wake_rescorer(self) -> None:
        if self.rescorer is not None:
            self.rescorer.wake()

    async def stop(self) -> None:
        close = getattr(self.coach, "close", None)
        if callable(close):
            close()


def context_of(runtime: ServiceRuntime) -> ScoreContext:
    context: ScoreContext = runtime.extras[EXTRAS_KEY]
    return context
