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
    """Writes the invitation to the log instead of sending it (development and tests)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    async def send_invitation(
        self, *, to: str, organization: str, role: str, accept_url: str
    ) -> None:
        self.sent.append(
            {"to": to, "organization": organization, "role": role, "accept_url": accept_url}
        )
        log.info("invitation to join %s as %s: %s", organization, role, accept_url)
