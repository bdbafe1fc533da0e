"""A local SMTP sink for ``make up`` and the tests: accepts every message, sends none on.

Real SMTP (aiosmtpd) on 127.0.0.1, so the gateway's mail adapter speaks the same
protocol to it as to a production relay. Each message is kept in memory (tests read
``messages``) and, given a folder, written to a Maildir there (``var/mail`` under
``make up``) so a developer can open invitation and confirmation links.
"""

from __future__ import annotations

import mailbox
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from clashtor_common.embedded import free_port


@dataclass(frozen=True)
class SunkMail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.record(SunkMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), message), data)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self, maildir: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        if maildir is not None:  # Maildir(create=True) makes only the last folder
            Path(maildir).parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(maildir, create=True) if maildir else None
        self.messages: list[SunkMail] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._running = False

    def start(self) -> SmtpSink:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop it; a no-op when it never started or already stopped."""
        if self._running:
            self._running = False
            self._controller.stop()

    def record(self, mail: SunkMail, raw: bytes) -> None:
        with self._lock:
            self.messages.append(mail)
            if self.maildir is not None:
                self.maildir.add(raw)

    def to(self, address: str) -> list[SunkMail]:
        """Messages sent to ``address`` (case-insensitive), oldest first."""
        with self._lock:
            return [
                m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)
            ]
