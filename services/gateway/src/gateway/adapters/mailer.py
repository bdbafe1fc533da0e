"""Outgoing email. The only implementation logs the message: the deployment's mail relay
plugs in here (same interface) without the rest of the gateway changing."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("gateway.mail")


class Mailer(Protocol):
    async def send_invitation(
        self, *, to: str, organization: str, role: str, accept_url: str
    ) -> None: ...


class LoggingMailer:
    """Writes the invitation to the log instead of sending it.

    The link carries the invitation token, so it is logged only where logs are not
    shared (``reveal_links``: development and tests); in production the inviter hands on
    the token the API showed them once, until a mail relay adapter replaces this one.
    """

    def __init__(self, reveal_links: bool = True) -> None:
        self.reveal_links = reveal_links
        self.sent: list[dict[str, str]] = []

    async def send_invitation(
        self, *, to: str, organization: str, role: str, accept_url: str
    ) -> None:
        self.sent.append(
            {"to": to, "organization": organization, "role": role, "accept_url": accept_url}
        )
        link = accept_url if self.reveal_links else "(link withheld from production logs)"
        log.info("invitation to join %s as %s: %s", organization, role, link)
