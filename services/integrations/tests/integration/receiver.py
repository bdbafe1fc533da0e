"""A webhook receiver as a customer would write one: it verifies every request with the
``standardwebhooks`` library and can be taken down (its port closed) and brought back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from clashtor_common.testing.servers import Answer, PostStub


@dataclass
class Received:
    msg_id: str
    body: dict[str, Any]
    signature: str


@dataclass
class Receiver(PostStub):
    port: int
    secrets: list[str] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    rejected: int = 0
    answer: int = 200
    verifies: bool = True
    """False: a receiver that checks nothing (Zapier's catch hooks)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def respond(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        body = self.verify(raw, headers)
        if body is None:
            self.rejected += 1
            return 401, {}, b""
        if self.answer < 300:
            self.accepted.append(
                Received(headers["webhook-id"], body, headers["webhook-signature"])
            )
        return self.answer, {}, b""

    def verify(self, raw: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        if not self.verifies:
            unchecked: dict[str, Any] = json.loads(raw)
            return unchecked
        for secret in self.secrets:
            try:
                body: dict[str, Any] = Webhook(secret).verify(raw, headers)
                return body
            except WebhookVerificationError:
                continue
        return None

    def for_subject(self, call_id: str) -> list[Received]:
        return [r for r in self.accepted if r.body["data"].get("call_id") == call_id]
