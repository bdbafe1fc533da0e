"""Whether an organization may use the product: privacy's account status, cached briefly.

Privacy owns account deletion (``DELETE /v1/account``, 30 days to restore). From that
moment the organization's data must be out of reach on every route, not only
privacy's, so every authenticated request is checked against privacy's ``GET
/internal/account/status`` (``deps.authenticate``). The answer is cached per
organization for ``account_status_cache_seconds`` (5 s) so the check costs one
request per organization every few seconds, not one per request. This replica updates
its cache at once when it forwards a deletion or a restore; another replica sees it
within the cache time. When the status is due, the readers of the organization that
arrive meanwhile share one question to privacy (``SingleFlight``), not one each.

When privacy cannot be reached, the last answer is used for up to
``account_status_stale_seconds``; with none, the request fails closed (503): an
unknown status is never taken for "active".
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any

from cachetools import TTLCache

from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity
from gateway.adapters.services import ServiceClients
from gateway.adapters.single_flight import SingleFlight
from gateway.domain.errors import AccountDeleted

STATUSES = frozenset({"active", "deleted", "purging", "purged"})
RESTORE_ROUTE = "POST /v1/account/restore"
DEFAULT_GRACE_DAYS = 30
"""Privacy's default restore window, named only when its answer carries no dates."""


@dataclass(frozen=True)
class AccountStatus:
    status: str
    deleted_at: str | None = None
    restorable_until: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_privacy(cls, body: Any) -> AccountStatus:
        """Privacy's ``{org_id, status, deleted_at, restorable_until, ...}``."""
        if not isinstance(body, Mapping) or body.get("status") not in STATUSES:
            raise ApiError(502, "upstream_error", "the privacy service answered nonsense")
        return cls(
            status=str(body["status"]),
            deleted_at=_text(body.get("deleted_at")),
            restorable_until=_text(body.get("restorable_until")),
        )


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def refusal(status: AccountStatus) -> AccountDeleted:
    """403 ``account_deleted``, saying whether and until when the owner can restore it."""
    if status.status != "deleted":
        return AccountDeleted(
            "this organization's account was deleted and its data is being erased for good; "
            "it can no longer be restored"
        )
    deleted, until = _day(status.deleted_at), _day(status.restorable_until)
    when = f" on {deleted.isoformat()}" if deleted else ""
    if until and deleted:
        days = round((until - deleted).total_seconds() / 86400)
        deadline = f"until {until.isoformat()} ({days} days after deletion)"
    elif until:
        deadline = f"until {until.isoformat()}"
    else:
        deadline = f"within {DEFAULT_GRACE_DAYS} days of the deletion"
    return AccountDeleted(
        f"this organization's account was deleted{when} and its data is out of reach. "
        f"Its owner can restore it {deadline} with {RESTORE_ROUTE}; "
        "after that everything is erased for good."
    )


@dataclass(frozen=True)
class _Entry:
    status: AccountStatus
    fetched_at: float


@dataclass(eq=False)
class AccountStatusCache:
    """Per-organization account status from privacy, fresh for ``ttl_seconds`` and kept
    for ``stale_seconds`` (whichever is longer) to answer while privacy is down.
    Bounded: past ``max_entries`` organizations the least recently used goes."""

    services: ServiceClients
    _: KW_ONLY
    ttl_seconds: float
    stale_seconds: float
    clock: Callable[[], float] = time.monotonic
    max_entries: int = 10_000
    _entries: TTLCache[str, _Entry] = field(init=False, repr=False)
    _asking: SingleFlight[tuple[str, int], AccountStatus] = field(
        init=False, repr=False, default_factory=SingleFlight
    )
    _learned: Counter[str] = field(init=False, repr=False, default_factory=Counter)
    """Per organization, moves on every ``remember`` of it: an older question's answer
    about that organization is not kept (other organizations' answers still are)."""

    def __post_init__(self) -> None:
        self._entries = TTLCache(
            self.max_entries, max(self.ttl_seconds, self.stale_seconds), timer=self.clock
        )

    async def status(self, identity: Identity) -> AccountStatus:
        """The organization's status: cached, or asked of privacy as ``identity`` (one
        question for all who ask while it is under way)."""
        now = self.clock()
        entry = self._entries.get(identity.org_id)
        if entry is not None and now - entry.fetched_at < self.ttl_seconds:
            return entry.status
        learned = self._learned[identity.org_id]
        return await self._asking.run(
            (identity.org_id, learned), lambda: self._ask(identity, entry, now, learned)
        )

    async def _ask(
        self, identity: Identity, entry: _Entry | None, now: float, learned: int
    ) -> AccountStatus:
        try:
            _, body = await self.services.call_json(
                "privacy", "GET", "/internal/account/status", identity=identity
            )
        except ApiError as exc:
            if (
                exc.status >= 502
                and entry is not None
                and now - entry.fetched_at < self.stale_seconds
            ):
                return entry.status
            raise
        status = AccountStatus.from_privacy(body)
        if (
            learned == self._learned[identity.org_id]
        ):  # else this replica learned newer first-hand meanwhile
            self._entries[identity.org_id] = _Entry(status, self.clock())
        return status

    def remember(self, org_id: str, status: AccountStatus) -> None:
        """Record a status this replica learned first-hand (a deletion or restore it
        forwarded); a question to privacy under way since is neither joined nor kept."""
        self._learned[org_id] += 1
        self._entries[org_id] = _Entry(status, self.clock())

    async def ensure_active(self, identity: Identity) -> None:
        """403 ``account_deleted`` unless the caller's organization is active."""
        status = await self.status(identity)
        if not status.active:
            raise refusal(status)
