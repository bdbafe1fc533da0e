"""Local HTTP servers for tests, served on 127.0.0.1 from a thread.

The stand-ins of providers (Stripe, OpenAI, Deepgram, Slack, an OTLP collector, a
customer's webhook receiver) are reached over real HTTP by the code under test, which
often runs its own event loop; a thread keeps them answering whatever that loop does.
``ThreadedApp`` serves an ASGI app (uvicorn); ``PostServer`` answers POSTs from a plain
function (``http.server``), for stand-ins that need no routing; ``PostStub`` is the base of
such a stand-in, its ``respond`` method the function. ``running`` holds any of them (or
any object with ``start`` and ``stop``) up for a ``with`` block, as a fixture wants it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar

import uvicorn

Answer = tuple[int, dict[str, str], bytes]
"""Status, headers and body of an answer."""
PostHandler = Callable[[str, dict[str, str], bytes], Answer]
"""Path, headers (names in lower case) and body of a POST → the answer."""


class Startable(Protocol):
    def start(self) -> object: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=Startable)


@contextmanager
def running(server: S) -> Iterator[S]:
    """``server`` started for the ``with`` block and stopped after it, however the block
    ends: the one start/stop pair every stand-in fixture needs. A start that fails halfway
    (a process launched, its port never open) is stopped too: no stand-in outlives it."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


class ThreadedApp:
    """An ASGI app served by uvicorn from a daemon thread with its own event loop."""

    def __init__(self, app: Any, *, name: str, port: int = 0) -> None:
        self.name = name
        self.port = port
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 20) -> int:
        """Start serving; returns the port once the server listens."""
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.port

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None


@contextmanager
def serve_in_thread(app: Any, *, name: str = "test app") -> Iterator[str]:
    """Serve ``app`` for the ``with`` block; yields its base URL."""
    with running(ThreadedApp(app, name=name)) as served:
        yield f"http://127.0.0.1:{served.port}"


class PostServer:
    """An HTTP server whose every POST is answered by ``handle`` (other methods: 501)."""

    def __init__(self, handle: PostHandler, *, port: int = 0) -> None:
        self.handle = handle
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> int:
        handle = self.handle

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer_headers, answer = handle(self.path, headers, body)
                self.send_response(status)
                for name, value in answer_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class PostStub:
    """A stand-in that answers every POST with ``respond``, on ``port`` (0: a free one,
    known once started); started and stopped as often as a test likes (a receiver taken
    down comes back on the same port)."""

    port: int = 0
    _server: PostServer | None = None

    def respond(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = PostServer(self.respond, port=self.port)
        self.port = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
