"""Composition root of the score service: wires settings, database, bus and adapters.

``bootstrap`` builds the runtime and hangs score's context on it (``context_of``): the
keyring, the S3 store for export parts, and the coach — built once: the OpenAI coach
when an API key is configured (pointed at ``openai_base_url`` when given, as tests point
it at a local Chat Completions server), the deterministic local engine otherwise.
"""

from __future__ import annotations

from clashtor_common.datakeys import KeyTable
from clashtor_common.keyservice import producer_keys
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from score.adapters.openai_coach import make_coach
from score.adapters.tables import DataKeyRecord
from score.context import EXTRAS_KEY, ScoreContext, context_of
from score.domain.coaching import Coach
from score.entrypoints.stream import ROUTES
from score.settings import ScoreSettings

__all__ = ["bootstrap", "build_coach", "context_of"]


def build_coach(settings: ScoreSettings) -> Coach:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return make_coach(
        key,
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        timeout_s=settings.openai_timeout_seconds,
        connect_timeout_s=settings.openai_connect_timeout_seconds,
        http_attempts=settings.openai_http_attempts,
        retry_initial_s=settings.openai_retry_initial_seconds,
        retry_max_s=settings.openai_retry_max_seconds,
        reply_attempts=settings.openai_reply_attempts,
    )


def bootstrap(settings: ScoreSettings | None = None) -> ServiceRuntime:
    settings = settings or ScoreSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    context = ScoreContext(
        settings=settings,
        db=runtime.db,
        keyring=keyring,
        keys=KeyTable(DataKeyRecord, keyring),
        transcript_keys=producer_keys(settings, keyring, settings.transcribe_url),
        s3=S3Store(settings),
        coach=build_coach(settings),
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
