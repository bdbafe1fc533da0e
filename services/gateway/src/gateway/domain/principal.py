"""Who is calling: the authenticated user (or API key) and what they act as."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from clashtor_common.identity import Identity
from gateway.domain.permissions import Role

Via = Literal["session", "api_key"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    org_id: str
    role: Role
    via: Via
    credential_id: str
    """The session id or the API key id that authenticated this request."""
    team_user_ids: tuple[str, ...] = ()
    analytics_opt_out: bool = False
    session_token: str | None = field(default=None, repr=False)

    def identity(self) -> Identity:
        """The internal identity the owning services check (signed when sent)."""
        return Identity(
            org_id=self.org_id,
            user_id=self.user_id,
            role=self.role.value,
            team_user_ids=self.team_user_ids if self.role is Role.MANAGER else (),
        )

    def vouched_identity(self) -> Identity:
        """The ``system`` identity, for a request the gateway has already authorized.

        Used where the owning service cannot check the caller's right itself (privacy
        does not know who may see a call, nor whose email is whose), so the gateway
        vouches after its own check. ``user_id`` stays the caller's: the service records
        them as the requester (``requested_by``, audit actor) and shows them the request.
        """
        return Identity(org_id=self.org_id, user_id=self.user_id, role="system")
