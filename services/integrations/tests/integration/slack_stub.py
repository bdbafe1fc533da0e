"""A local server speaking the part of Slack's Web API the alerts use
(``chat.postMessage``: bearer token, JSON body, ``{"ok": ...}`` answers), so the real
``slack-sdk`` can be pointed at it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clashtor_common.embedded import free_port


@dataclass
class SlackStub:
    tokens: set[str] = field(default_factory=set)
    posted: list[dict[str, Any]] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> SlackStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                token = (self.headers.get("authorization") or "").removeprefix("Bearer ")
                if self.path != "/api/chat.postMessage":
                    answer: dict[str, Any] = {"ok": False, "error": "unknown_method"}
                elif token not in stub.tokens:
                    answer = {"ok": False, "error": "invalid_auth"}
                else:
                    body = json.loads(raw)
                    stub.posted.append({**body, "token": token})
                    answer = {"ok": True, "channel": body["channel"], "ts": "1700000000.0001"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def about(self, call_id: str) -> list[dict[str, Any]]:
        return [p for p in self.posted if call_id in p.get("text", "")]
