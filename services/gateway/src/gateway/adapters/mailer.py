"""Outgoing email: the mail port of the gateway and its two adapters.

The use cases say *what* to tell whom (``invitation``, ``email_confirmation``,
``email_change_notice``); a transport delivers it. ``SmtpMailer`` speaks SMTP to a relay
(aiosmtplib; under ``make up`` and in the tests a local sink, ``clashtor_common.mailsink``);
``LoggingMailer`` only keeps and logs the messages (unit tests, or no relay configured).
Outside production the log line carries the link, so a developer can follow it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from clashtor_common.errors import ApiError

log = logging.getLogger("gateway.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    kind: str
    link: str | None = None


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


#: Each kind of mail: its subject and body, with ``{placeholders}`` (``link``: the URL the
#: mail asks the reader to open).
TEMPLATES: dict[str, tuple[str, str]] = {
    "invitation": (
        "You are invited to {organization} on Clashtor",
        "You have been invited to join {organization} on Clashtor as {role}.\n\n"
        "Accept the invitation here:\n{link}\n\n"
        "If you did not expect this, ignore this message.\n",
    ),
    "email_confirmation": (
        "Confirm your new Clashtor email address",
        "Someone asked to use this address for a Clashtor account.\n\n"
        "Confirm it here (the change takes effect only then):\n{link}\n\n"
        "If it was not you, ignore this message; nothing changes.\n",
    ),
    "email_change_notice": (
        "Your Clashtor email address is about to change",
        "A change of your Clashtor sign-in address to {new_email} was requested. "
        "It takes effect once confirmed from the new address.\n\n"
        "If it was not you, change your password now and tell your administrator.\n",
    ),
}


def compose(kind: str, *, to: str, link: str | None = None, **values: str) -> Mail:
    subject, body = TEMPLATES[kind]
    return Mail(
        to=to,
        subject=subject.format(**values),
        body=body.format(link=link, **values),
        kind=kind,
        link=link,
    )


def invitation(*, to: str, organization: str, role: str, accept_url: str) -> Mail:
    return compose("invitation", to=to, link=accept_url, organization=organization, role=role)


def email_confirmation(*, to: str, confirm_url: str) -> Mail:
    return compose("email_confirmation", to=to, link=confirm_url)


def email_change_notice(*, to: str, new_email: str) -> Mail:
    return compose("email_change_notice", to=to, new_email=new_email)


def _log(mail: Mail, reveal_links: bool) -> None:
    link = mail.link if reveal_links else "(link withheld from production logs)"
    log.info("mail %s to %s: %s", mail.kind, mail.to, link or "-")


class LoggingMailer:
    """Keeps and logs messages instead of sending them (no relay configured)."""

    def __init__(self, reveal_links: bool = True) -> None:
        self.reveal_links = reveal_links
        self.outbox: list[Mail] = []

    @property
    def sent(self) -> list[dict[str, str]]:
        """Invitations as plain dicts (what older tests read)."""
        return [
            {"to": m.to, "accept_url": m.link or "", "kind": m.kind}
            for m in self.outbox
            if m.kind == "invitation"
        ]

    async def send(self, mail: Mail) -> None:
        self.outbox.append(mail)
        _log(mail, self.reveal_links)


@dataclass(frozen=True)
class SmtpRelay:
    """Where and how to reach the relay: ``aiosmtplib.send``'s connection options, by name."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    start_tls: bool = False
    timeout: float = 10.0


class SmtpMailer:
    """Sends through an SMTP relay with aiosmtplib (STARTTLS and login when configured)."""

    def __init__(self, relay: SmtpRelay, *, sender: str, reveal_links: bool = True) -> None:
        self.relay, self.sender, self.reveal_links = relay, sender, reveal_links

    async def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            await aiosmtplib.send(message, **asdict(self.relay))
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("mail %s to %s not sent: %s", mail.kind, mail.to, type(exc).__name__)
            raise ApiError(
                503,
                "mail_unavailable",
                "the email could not be sent right now; try again in a minute",
                headers={"Retry-After": "60"},
            ) from exc
        _log(mail, self.reveal_links)
