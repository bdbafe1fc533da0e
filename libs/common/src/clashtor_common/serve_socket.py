"""Serve a service's ASGI app factory on a socket its parent bound and handed over.

``make up`` and the end-to-end stack bind each service's port before they start it (see
``embedded.listening_socket``) and pass the socket down, so the port is the service's
from the start, however long the service takes to load before it listens.

    python -m clashtor_common.serve_socket <fd> <module>:<factory> [<workers>]

With ``workers`` > 1 the process forks that many minus one before it loads anything,
and every process serves the app on the port: as many replicas of the service, each
with its own caches, consumer and background workers, as replicas on separate machines
would be. When the handed socket is shared (``SO_REUSEPORT``: ``listening_socket(...,
shared=True)``, as ``launch`` binds it), each forked worker listens on a socket of its
own on the same port, once its app has started, and the kernel spreads new connections
evenly across the listening sockets. On one socket, shared by all (a handed socket
without ``SO_REUSEPORT``), the first process awake takes every waiting connection at
once: 200 readers connecting together were mostly served by one process while the
other idled (the bench's first wave, issue 20).
The forked workers are in the process group of the first, so stopping the group
(``devstack.stop_process``) stops them all; a worker dies with the first process
(``die_with_parent``), and the first waits for its workers before it exits, so a
graceful stop of the group is graceful in each. A worker that dies is not replaced.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

import uvicorn

from clashtor_common.embedded import die_with_parent

STARTUP_FAILED = 3
"""The exit code of a failed startup, as uvicorn's own command line."""


def serve(sock: socket.socket, factory: str) -> int:
    """Serve ``factory`` on ``sock`` until told to stop: the process's exit code."""
    config = uvicorn.Config(factory, factory=True, access_log=False)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else STARTUP_FAILED


def own_socket(shared: socket.socket) -> socket.socket:
    """A forked worker's own socket on ``shared``'s port (its copy of ``shared`` closed),
    bound but not listening: uvicorn listens once the app has started, so no connection
    waits in the queue of a worker still loading. ``shared`` itself when it was bound
    without ``SO_REUSEPORT`` (then every process accepts from the one queue)."""
    if not shared.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT):
        return shared
    own = socket.socket(shared.family, shared.type)
    try:
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own.bind(shared.getsockname())
    except OSError:
        own.close()
        raise
    shared.close()
    return own


def fork_workers(count: int) -> list[int] | None:
    """``count`` forked workers: their pids in this process, None in each worker."""
    first = os.getpid()
    pids: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            die_with_parent()
            if os.getppid() != first:  # the first died before the line above
                os._exit(1)
            return None
        pids.append(pid)
    return pids


def stop_workers(pids: list[int]) -> int:
    """Stop the workers (a second SIGTERM is harmless to one already stopping) and wait
    for them: ``STARTUP_FAILED`` if one of them failed its startup, else the first other
    failure (a crash; a signal other than the stop: negative), else 0."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    if STARTUP_FAILED in codes:
        return STARTUP_FAILED
    return next((code for code in codes if code not in (0, -signal.SIGTERM)), 0)


def main(argv: list[str]) -> None:
    fd, factory = int(argv[0]), argv[1]
    workers = int(argv[2]) if len(argv) > 2 else 1
    if workers < 1:
        sys.exit(f"workers must be at least 1, not {workers}")
    sock = socket.socket(fileno=fd)  # family and type read off the descriptor (TCP)
    pids = fork_workers(workers - 1)
    if pids is None:  # a forked worker
        sys.exit(serve(own_socket(sock), factory))
    if not pids:  # a single process
        sys.exit(serve(sock, factory))
    # uvicorn raises the signal that stopped it again once it has: the first would die of
    # it there, before its workers finished. Noted instead, and raised after they did.
    received: list[int] = []
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, lambda number, _frame: received.append(number))
    code = serve(sock, factory)
    stopped = stop_workers(pids)
    for number in received[:1]:
        signal.signal(number, signal.SIG_DFL)
        signal.raise_signal(number)
    sys.exit(code or stopped)


if __name__ == "__main__":
    main(sys.argv[1:])
