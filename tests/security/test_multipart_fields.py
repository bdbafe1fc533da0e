"""Hole 5: an upload form with hundreds of large text fields is refused early.

Before the fix, 550 text fields of 180 KB each (99 MB) were forwarded by the gateway and
kept in memory by ingest: ingest grew by about 100 MB for one request. Now the gateway
reads the form as it streams and answers 413 after a few parts; the client is cut off
long before it has sent the rest, and no service's memory grows with the form.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from ..e2e.client import Clashtor
from ..e2e.stack import Stack

FIELDS = 550
FIELD_BYTES = 180 * 1024
BOUNDARY = "hole5-boundary"
MB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def attack_parts() -> Iterator[bytes]:
    yield (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + b"RIFF" * 256
        + b"\r\n"
    )
    filler = b"x" * FIELD_BYTES
    for n in range(FIELDS):
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note{n}"\r\n\r\n'.encode()
            + filler
            + b"\r\n"
        )
    yield f"--{BOUNDARY}--\r\n".encode()


def post_until_answered(base_url: str, key: str) -> tuple[int, dict, int, int]:
    """POST the attack over a raw socket: a thread sends the form part by part while
    this one waits for the answer; returns (status, body, bytes of the form sent before
    the answer, bytes it has in total)."""
    total = sum(len(part) for part in attack_parts())  # generated as sent, never kept
    url = urlsplit(base_url)
    assert url.hostname and url.port
    head = (
        f"POST /v1/calls HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {total}\r\nConnection: close\r\n\r\n"
    ).encode()
    sent = [0]
    answered = threading.Event()
    sock = socket.create_connection((url.hostname, url.port), timeout=120)

    def send_form() -> None:
        try:
            for part in attack_parts():
                if answered.is_set():
                    return
                sock.sendall(part)
                sent[0] += len(part)
        except OSError:
            pass  # the server answered and closed the connection

    sock.sendall(head)
    sender = threading.Thread(target=send_form, daemon=True)
    sender.start()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionError:
        pass
    finally:
        answered.set()
        sent_before_answer = sent[0]
        sock.close()
        sender.join(timeout=60)
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body or b"{}"), sent_before_answer, total


def test_hundreds_of_large_text_fields_are_refused_before_they_are_sent(
    api: Clashtor, stack: Stack
) -> None:
    assert api.key
    before = {name: rss_bytes(stack.procs[name].pid) for name in ("gateway", "ingest")}

    status, body, sent, total = post_until_answered(stack.gateway, api.key)
    grown = {name: rss_bytes(stack.procs[name].pid) - rss for name, rss in before.items()}
    print(f"\nanswered {status} after {sent / MB:.1f} MB of {total / MB:.0f} MB sent")
    print(", ".join(f"{name} RSS grew by {g / MB:.1f} MB" for name, g in grown.items()))

    assert status == 413, body
    assert body["error"]["code"] in ("too_many_fields", "field_too_large")
    assert sent < total / 5, "refused while most of the form was still unsent"
    for name, g in grown.items():
        assert g < 20 * MB, f"{name} grew by {g / MB:.0f} MB for one refused form"
