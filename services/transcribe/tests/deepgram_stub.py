"""A local Deepgram: ``POST /v1/listen`` on 127.0.0.1, speaking the documented API.

The real ``deepgram-sdk`` is pointed at it through ``DeepgramClientEnvironment(base=...)``;
nothing in the SDK is patched. It checks the ``Authorization: Token <key>`` header and
that a body was sent, records every request, and answers with a recorded-style
pre-recorded response (``fixtures/deepgram_*.json``): the multichannel one when the
request asks for ``multichannel=true``, the diarized mono one otherwise.

Modes (``stub.mode``): ``ok``; ``fail_once_503`` (503, then 200: proves the retry);
``always_429`` (rate limited forever: proves the clear failure); ``bad_audio_400``
(Deepgram's answer to audio it cannot decode).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from clashtor_common.testing.servers import ThreadedApp

FIXTURES = Path(__file__).parent / "fixtures"
MODES = ("ok", "fail_once_503", "always_429", "bad_audio_400")


@dataclass(frozen=True)
class RecordedRequest:
    query: dict[str, str]
    headers: dict[str, str]
    body_size: int
    status: int


class DeepgramStub:
    def __init__(self, api_key: str = "dg-test-key") -> None:
        self.api_key = api_key
        self.mode = "ok"
        self.requests: list[RecordedRequest] = []
        self.responses = {
            "mono": json.loads((FIXTURES / "deepgram_diarized_mono.json").read_text()),
            "multichannel": json.loads((FIXTURES / "deepgram_multichannel.json").read_text()),
        }
        self._failed_once = False
        self._lock = threading.Lock()
        self._served = ThreadedApp(self._app(), name="Deepgram stub")
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def engine_config(self) -> dict[str, Any]:
        """``DeepgramConfig`` fields reaching this stub, with quick retries (three attempts)."""
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": 10.0,
            "max_attempts": 3,
            "retry_initial_wait": 0.01,
            "retry_max_wait": 0.05,
        }

    def reset(self, mode: str = "ok") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
        with self._lock:
            self.mode = mode
            self.requests.clear()
            self._failed_once = False

    def start(self) -> DeepgramStub:
        self.port = self._served.start()
        return self

    def stop(self) -> None:
        self._served.stop()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/listen")
        async def listen(request: Request) -> JSONResponse:
            body = await request.body()
            status, payload = self._answer(request, body)
            with self._lock:
                self.requests.append(
                    RecordedRequest(
                        dict(request.query_params), dict(request.headers), len(body), status
                    )
                )
            headers = {"retry-after": "0"} if status == 429 else None
            return JSONResponse(payload, status_code=status, headers=headers)

        return app

    def _answer(self, request: Request, body: bytes) -> tuple[int, dict[str, Any]]:
        if request.headers.get("authorization") != f"Token {self.api_key}":
            return 401, {
                "err_code": "INVALID_AUTH",
                "err_msg": "Invalid credentials.",
                "request_id": "stub",
            }
        if not body:
            return 400, {"err_code": "Bad Request", "err_msg": "No audio in the request body."}
        with self._lock:
            mode = self.mode
            if mode == "fail_once_503" and not self._failed_once:
                self._failed_once = True
                return 503, {"err_code": "SERVICE_UNAVAILABLE", "err_msg": "Try again later."}
        if mode == "always_429":
            return 429, {
                "err_code": "TOO_MANY_REQUESTS",
                "err_msg": "Too many requests. Please try again later.",
            }
        if mode == "bad_audio_400":
            return 400, {
                "err_code": "Bad Request",
                "err_msg": "Bad Request: failed to process audio: corrupt or unsupported data",
            }
        multichannel = request.query_params.get("multichannel") == "true"
        return 200, self.responses["multichannel" if multichannel else "mono"]
