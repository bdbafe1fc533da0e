"""The Deepgram engine: pre-recorded transcription through the official ``deepgram-sdk``.

One adapter owns every call to Deepgram (DESIGN: provider calls go through one adapter
each, with timeouts and tenacity retries on 429/5xx). The audio is decoded locally
first: undecodable input fails at once with ``UndecodableAudio`` instead of costing a
provider call and retries, and the channel check decides between ``multichannel``
(one party per channel, speaker = channel) and ``diarize`` (mono).

The SDK's own retry loop is switched off (``max_retries=0``) so tenacity is the only
retry policy; after the last attempt the failure becomes a clear
``TranscriptionProviderError`` with the provider's status code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError
from deepgram.environment import DeepgramClientEnvironment
from deepgram.types.listen_v1response import ListenV1Response
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from clashtor_common.events.transcript import Transcript, Utterance, Word
from transcribe.adapters.audio import probe_audio
from transcribe.domain.errors import TranscriptionProviderError, UndecodableAudio
from transcribe.domain.ports import AudioInput, ProgressSink
from transcribe.domain.utterances import group_utterances, speaker_count

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class DeepgramConfig:
    """Where and how to call Deepgram. ``base_url`` points tests at a local stub."""

    api_key: str
    base_url: str = "https://api.deepgram.com"
    model: str = "nova-3"
    language: str = "en"
    timeout: float = 300.0  # seconds per request; long calls take a while to upload
    max_attempts: int = 4
    retry_initial_wait: float = 1.0
    retry_max_wait: float = 30.0


class DeepgramEngine:
    """``TranscriptionEngine`` backed by Deepgram's ``POST /v1/listen``."""

    name = "deepgram"

    def __init__(self, config: DeepgramConfig) -> None:
        if not config.api_key:
            raise ValueError("DeepgramEngine needs an API key; use the local engine without one")
        self.config = config
        base = config.base_url.rstrip("/")
        websocket = "ws" + base.removeprefix("http")  # http -> ws, https -> wss
        self._http = httpx.AsyncClient(timeout=config.timeout, follow_redirects=True)
        self._client = AsyncDeepgramClient(
            api_key=config.api_key,
            environment=DeepgramClientEnvironment(
                base=base, production=websocket, agent=websocket, agent_rest=base
            ),
            timeout=config.timeout,
            max_retries=0,
            httpx_client=self._http,
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool (call on service shutdown)."""
        await self._http.aclose()

    async def transcribe(
        self,
        audio: AudioInput,
        *,
        language: str | None = None,
        progress: ProgressSink | None = None,
    ) -> Transcript:
        """One request for the whole call: Deepgram tells nothing until it is done, so
        ``progress`` hears nothing in between."""
        data = await _read_bytes(audio)
        info = await asyncio.to_thread(probe_audio, data)  # raises UndecodableAudio
        multichannel = info.separate_channels
        language = language or self.config.language
        response = await self._listen(data, multichannel=multichannel, language=language)
        transcript = normalize_response(
            response,
            model=self.config.model,
            language="en" if language == "auto" else language,
            multichannel=multichannel,
        )
        return transcript.model_copy(
            update={"language_source": "detected" if language == "auto" else "requested"}
        )

    async def _listen(self, data: bytes, *, multichannel: bool, language: str) -> ListenV1Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self.config.max_attempts),
            wait=_RetryAfterOrBackoff(self.config.retry_initial_wait, self.config.retry_max_wait),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._client.listen.v1.media.transcribe_file(
                        request=data,
                        model=self.config.model,
                        **(
                            {"detect_language": True}
                            if language == "auto"
                            else {"language": language}
                        ),
                        smart_format=True,
                        punctuate=True,
                        utterances=True,
                        diarize=not multichannel,
                        multichannel=multichannel,
                    )
        except ApiError as exc:
            raise _provider_error(exc, self.config.max_attempts) from exc
        except httpx.HTTPError as exc:
            raise TranscriptionProviderError(
                f"Deepgram could not be reached after {self.config.max_attempts} attempts: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(response, ListenV1Response):
            raise TranscriptionProviderError(
                "Deepgram answered with an asynchronous request id, not a transcript"
            )
        return response


async def _read_bytes(audio: AudioInput) -> bytes:
    if isinstance(audio, bytes | bytearray | memoryview):
        return bytes(audio)
    path = Path(audio)
    if not path.is_file():
        raise UndecodableAudio(f"no audio at {path.name}: missing file")
    return await asyncio.to_thread(path.read_bytes)


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ApiError):
        return exc.status_code in RETRYABLE_STATUS
    return isinstance(exc, httpx.TimeoutException | httpx.TransportError)


class _RetryAfterOrBackoff:
    """Exponential backoff with jitter, or the provider's ``Retry-After`` if longer."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._backoff = wait_exponential_jitter(initial=initial, max=maximum, jitter=initial)
        self._maximum = maximum

    def __call__(self, state: RetryCallState) -> float:
        wait = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ApiError) and exc.headers:
            retry_after = {k.lower(): v for k, v in exc.headers.items()}.get("retry-after")
            try:
                wait = max(wait, float(retry_after)) if retry_after else wait
            except ValueError:
                pass
        return min(wait, self._maximum)


def _provider_error(exc: ApiError, attempts: int) -> Exception:
    status = exc.status_code
    detail = _error_detail(exc.body)
    if status == 400 and any(s in detail.lower() for s in ("audio", "corrupt", "unsupported")):
        return UndecodableAudio(f"Deepgram could not process the audio: {detail}")
    if status in (401, 403):
        return TranscriptionProviderError(
            f"Deepgram refused the API key (HTTP {status}): check DEEPGRAM_API_KEY",
            status_code=status,
        )
    if status == 429:
        return TranscriptionProviderError(
            f"Deepgram rate limit (HTTP 429) still hit after {attempts} attempts: {detail}",
            status_code=status,
        )
    if status in RETRYABLE_STATUS:
        return TranscriptionProviderError(
            f"Deepgram failed (HTTP {status}) after {attempts} attempts: {detail}",
            status_code=status,
        )
    return TranscriptionProviderError(
        f"Deepgram rejected the request (HTTP {status}): {detail}", status_code=status
    )


def _error_detail(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("err_msg") or body.get("message") or body)
    return str(body)[:300]


# --- normalization --------------------------------------------------------------------


def normalize_response(
    response: ListenV1Response, *, model: str, language: str, multichannel: bool
) -> Transcript:
    """Deepgram's pre-recorded response → the normalized ``Transcript``.

    Multichannel: speaker = channel (one party per channel). Mono: Deepgram's diarization
    labels, renumbered by first appearance so speaker 0 spoke first (as the local engine).
    Uses ``results.utterances`` when present, else groups the channel words.
    """
    metadata, results = response.metadata, response.results
    channel_languages = [c.detected_language for c in results.channels or [] if c.detected_language]
    if results.utterances:
        utterances = [_utterance(u, multichannel) for u in results.utterances]
    else:
        utterances = group_utterances(
            _channel_words(results.channels or [], multichannel),
            channel_of=_identity_channels(results.channels or []) if multichannel else None,
        )
    utterances = [u for u in utterances if u.words or u.text]
    utterances.sort(key=lambda u: (u.start, u.end))
    if not multichannel:
        utterances = _relabel_by_first_appearance(utterances)
    return Transcript(
        language=channel_languages[0] if channel_languages else language,
        engine="deepgram",
        model=model,
        duration=round(float(metadata.duration), 3),
        channels=int(metadata.channels),
        utterances=utterances,
        speakers=speaker_count(utterances),
    )


def _utterance(item: Any, multichannel: bool) -> Utterance:
    channel = int(item.channel or 0)
    speaker = channel if multichannel else int(item.speaker or 0)
    words = [_word(w, speaker) for w in item.words or []]
    start = float(item.start if item.start is not None else (words[0].start if words else 0.0))
    end = float(item.end if item.end is not None else (words[-1].end if words else start))
    return Utterance(
        speaker=speaker,
        channel=channel if multichannel else None,
        start=start,
        end=max(start, end),
        text=(item.transcript or " ".join(w.word for w in words)).strip(),
        confidence=_unit(item.confidence),
        words=words,
    )


def _word(item: Any, speaker: int) -> Word:
    start = float(item.start or 0.0)
    return Word(
        word=(item.punctuated_word or item.word or "").strip(),
        start=start,
        end=max(start, float(item.end or start)),
        confidence=_unit(item.confidence),
        speaker=speaker,
    )


def _channel_words(channels: Sequence[Any], multichannel: bool) -> Iterable[Word]:
    for index, channel in enumerate(channels):
        alternatives = channel.alternatives or []
        if not alternatives:
            continue
        for item in alternatives[0].words or []:
            speaker = index if multichannel else int(getattr(item, "speaker", None) or 0)
            yield _word(item, speaker)


def _identity_channels(channels: Sequence[Any]) -> dict[int, int]:
    return {index: index for index in range(len(channels))}


def _relabel_by_first_appearance(utterances: list[Utterance]) -> list[Utterance]:
    order: dict[int, int] = {}
    for u in utterances:
        order.setdefault(u.speaker, len(order))
    return [
        u.model_copy(
            update={
                "speaker": order[u.speaker],
                "words": [w.model_copy(update={"speaker": order[u.speaker]}) for w in u.words],
            }
        )
        for u in utterances
    ]


def _unit(value: float | None) -> float:
    return 1.0 if value is None else round(min(1.0, max(0.0, float(value))), 4)
