"""A local stand-in for the OpenAI Chat Completions API, for tests of the real SDK.

It speaks ``POST /v1/chat/completions`` as documented: bearer authentication, a
``chat.completion`` object with ``id``, ``created``, ``model``, ``choices[0].message``
(the structured reply as a JSON string in ``content``), ``finish_reason`` and ``usage``;
errors as ``{"error": {"message", "type", "param", "code"}}`` with the right status.

Replies are scripted: ``queue(...)`` steps are served in order, then ``default`` for every
request after that (``queue_reply``/``always_reply`` script a custom structured reply). Steps: ``reply(content)`` (a recorded structured reply), ``rate_limited()``
(429 with ``Retry-After``), ``server_error()`` (500), ``malformed()`` (valid JSON that fails
the reply schema). ``use_mode`` sets up the named scenarios the tests use. Every request
is recorded (headers and JSON body) so a test can check what the SDK sent.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from clashtor_common.testing.servers import ThreadedApp


@dataclass(frozen=True)
class Step:
    status: int = 200
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None


def reply(content: str | dict[str, Any]) -> Step:
    return Step(content=content if isinstance(content, str) else json.dumps(content))


def rate_limited(retry_after: str = "0") -> Step:
    return Step(status=429, headers={"retry-after": retry_after}, error_code="rate_limit_exceeded")


def server_error() -> Step:
    return Step(status=500, error_code="server_error")


def malformed() -> Step:
    """JSON, but not the reply schema: ``strengths`` is not a list, the rest is missing."""
    return Step(content=json.dumps({"strengths": "you did great"}))


@dataclass
class RecordedRequest:
    headers: dict[str, str]
    body: dict[str, Any]


class OpenAIStub:
    def __init__(self, recorded_reply: dict[str, Any], api_key: str = "sk-test-stub") -> None:
        self.recorded_reply = recorded_reply
        self.api_key = api_key
        self.script: deque[Step] = deque()
        self.default: Step = reply(recorded_reply)
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._served = ThreadedApp(self.app, name="OpenAI stub")
        self.port: int | None = None

    # -- scripting -------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()
            self.default = reply(self.recorded_reply)

    def queue(self, *steps: Step) -> None:
        with self._lock:
            self.script.extend(steps)

    def queue_reply(self, content: str | dict[str, Any]) -> None:
        """Serve ``content`` as the next structured reply."""
        self.queue(reply(content))

    def always_reply(self, content: str | dict[str, Any]) -> None:
        """Serve ``content`` for every request once the queue is empty."""
        with self._lock:
            self.default = reply(content)

    def use_mode(self, mode: str) -> None:
        """Named scenarios: ``success``, ``rate_limit_then_success``,
        ``server_error_then_success``, ``malformed_then_success``, ``always_malformed``,
        ``always_rate_limited``."""
        self.reset()
        if mode == "rate_limit_then_success":
            self.queue(rate_limited())
        elif mode == "server_error_then_success":
            self.queue(server_error())
        elif mode == "malformed_then_success":
            self.queue(malformed())
        elif mode == "always_malformed":
            self.default = malformed()
        elif mode == "always_rate_limited":
            self.default = rate_limited()
        elif mode != "success":
            raise ValueError(f"unknown stub mode {mode!r}")

    # -- HTTP ------------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                self.requests.append(RecordedRequest(dict(request.headers), body))
                step = self.script.popleft() if self.script else self.default
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _error(401, "Incorrect API key provided.", "invalid_api_key")
            if step.status != 200:
                return _error(step.status, "scripted failure", step.error_code, step.headers)
            return JSONResponse(self._completion(body, step.content or ""))

        return app

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        completion_tokens = len(content.split())
        return {
            "id": f"chatcmpl-stub{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_stub",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    # -- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self.port = self._served.start()

    def stop(self) -> None:
        self._served.stop()


def _error(
    status: int, message: str, code: str | None, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = {401: "invalid_request_error", 429: "requests"}.get(status, "server_error")
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status_code=status,
        headers=headers or {},
    )
