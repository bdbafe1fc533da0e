"""The local SMTP sink keeps what it receives, even in a var/ folder not yet made."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from clashtor_common.mailsink import SmtpSink


def test_a_sink_in_a_fresh_folder_keeps_the_message_in_its_maildir(tmp_path: Path) -> None:
    maildir = tmp_path / "var" / "mail"  # neither folder exists, as on a fresh clone
    sink = SmtpSink(maildir=maildir).start()
    try:
        message = EmailMessage()
        message["From"] = "clashtor@example.test"
        message["To"] = "rep@example.test"
        message["Subject"] = "Confirm your email"
        message.set_content("https://clashtor.example.test/confirm-email/t0ken")
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            client.send_message(message)
    finally:
        sink.stop()
    assert [m.message["Subject"] for m in sink.messages] == ["Confirm your email"]
    stored = list((maildir / "new").iterdir())
    assert len(stored) == 1 and b"confirm-email/t0ken" in stored[0].read_bytes()
