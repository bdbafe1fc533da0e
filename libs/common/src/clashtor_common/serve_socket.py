"""Serve a service's ASGI app factory on a socket its parent bound and handed over.

``make up`` and the end-to-end stack bind each service's port before they start it (see
``embedded.listening_socket``) and pass the socket down, so the port is the service's
from the start, however long the service takes to load before it listens.

    python -m clashtor_common.serve_socket <fd> <module>:<factory>
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main(argv: list[str]) -> None:
    fd, factory = int(argv[0]), argv[1]
    sock = socket.socket(fileno=fd)  # family and type read off the descriptor (TCP)
    config = uvicorn.Config(factory, factory=True, access_log=False)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # as uvicorn's own command line: a failed startup is exit 3
        sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1:])
