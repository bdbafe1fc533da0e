"""A local server speaking the part of Slack's Web API the alerts use
(``chat.postMessage``: bearer token, JSON body, ``{"ok": ...}`` answers), so the real
``slack-sdk`` can be pointed at it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from clashtor_common.embedded import free_port
from clashtor_common.testing.servers import Answer, PostStub


@dataclass
class SlackStub(PostStub):
    tokens: set[str] = field(default_factory=set)
    posted: list[dict[str, Any]] = field(default_factory=list)
    arrived: int = 0
    """Posts received, answered or not."""
    hold: threading.Event | None = None
    """Set: a post is taken in only once this event is."""
    port: int = field(default_factory=free_port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def respond(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        """Slack's Web API: ``chat.postMessage`` with a known bearer token."""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if path != "/api/chat.postMessage":
            answer: dict[str, Any] = {"ok": False, "error": "unknown_method"}
        elif token not in self.tokens:
            answer = {"ok": False, "error": "invalid_auth"}
        else:
            self.arrived += 1
            if self.hold is not None:
                self.hold.wait(timeout=300)
            body = json.loads(raw)
            self.posted.append({**body, "token": token})
            answer = {"ok": True, "channel": body["channel"], "ts": "1700000000.0001"}
        json_type = {"content-type": "application/json; charset=utf-8"}
        return 200, json_type, json.dumps(answer).encode()

    def about(self, call_id: str) -> list[dict[str, Any]]:
        return [p for p in self.posted if call_id in p.get("text", "")]
