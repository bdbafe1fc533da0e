"""A webhook receiver as a customer would write one: it verifies every request with the
``standardwebhooks`` library and can be taken down (its port closed) and brought back."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    msg_id: str
    body: dict[str, Any]
    signature: str


@dataclass
class Receiver:
    port: int
    secrets: list[str] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    rejected: int = 0
    answer: int = 200
    verifies: bool = True
    """False: a receiver that checks nothing (Zapier's catch hooks)."""
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def up(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = receiver.verify(raw, headers)
                if body is None:
                    receiver.rejected += 1
                    self.send_response(401)
                elif receiver.answer >= 300:
                    self.send_response(receiver.answer)
                else:
                    receiver.accepted.append(
                        Received(headers["webhook-id"], body, headers["webhook-signature"])
                    )
                    self.send_response(receiver.answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

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
