"""Assembled call views kept per call version, so an unchanged call is not rebuilt per read.

``GET /v1/calls/{id}`` joins ingest's call, transcribe's transcript and score's score.
Once scored, a call rarely changes, yet each read used to fetch, parse, assemble,
validate and serialize the whole transcript again. This cache keeps, per call, what each
source last answered (ingest's raw body, the ETags transcribe and score gave their
parts) and the response built from them: its body bytes and its own ETag.

It never decides who may see a call. Every read still asks ingest for the call as the
caller (ownership, the call's status) and asks transcribe and score with
``If-None-Match``, as the caller (readers of the same call as the same caller share a
round under way: ``reads``); the cached view is used only when ingest answers the
same bytes and both others answer 304 Not Modified, i.e. when building it anew would
give the same bytes. Another organization's id, a call the caller may not see and an
erased call are refused by ingest before the cache is consulted. Entries are dropped on
any refusal for the call and on an erasure for its organization (``forget``), and the
table is bounded in entries and bytes (least recently used first out). Nothing is
written to disk: the plaintext exists in memory only, as it did per request before.

Erasure, on every replica. Each gateway replica holds its own cache, and an erasure
event reaches one replica only (one consumer group), so a view is never kept longer
than ``max_age_seconds`` (``GATEWAY_CALL_VIEW_MAX_AGE_SECONDS``): on the replicas not
told, an erased call's plaintext is gone from memory within that bound (``drop_expired``
runs every half of it; an expired view is never answered). The replica that is told
forgets the organization's views twice: when the erasure is requested and again when
ingest, transcribe or score says it erased (``erasure-completed``), i.e. after the
erasure committed. A read that began before a forget may still hold what ingest
answered before the erasure; ``put`` refuses the view it built (``stamp`` taken before
asking the sources, tombstones of the forgets since), so no old view is cached again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clashtor_common.identity import Identity
from gateway.adapters.single_flight import SingleFlight


@dataclass(frozen=True)
class Part:
    """One source's part as last answered: its ETag and parsed body (None: not there)."""

    etag: str | None
    body: Any


@dataclass(frozen=True)
class CachedView:
    call_raw: bytes
    """Ingest's answer, byte for byte: the call's status, title, participants…"""
    transcript: Part
    score: Part
    body: bytes
    """The public response, serialized once."""
    etag: str

    @property
    def size(self) -> int:
        return len(self.call_raw) + 2 * len(self.body)  # the parsed parts about match the body


Key = tuple[str, str]
"""(organization, call)."""

ReadKey = tuple[Identity, str, int]
"""(the caller, the call, ``stamp()`` when the read began)."""


@dataclass(frozen=True)
class _Entry:
    view: CachedView
    kept_at: float


@dataclass(kw_only=True, eq=False)
class CallViewCache:
    """Views by (organization, call), least recently used dropped first, none older than
    ``max_age_seconds``."""

    max_entries: int
    max_bytes: int
    max_age_seconds: float
    clock: Callable[[], float] = time.monotonic
    max_tombstones: int = 10_000
    _views: OrderedDict[Key, _Entry] = field(init=False, repr=False, default_factory=OrderedDict)
    _bytes: int = field(init=False, repr=False, default=0)
    _forgets: int = field(init=False, repr=False, default=0)
    """Forgets so far: a read's ``stamp``; a view read before a forget is not put."""
    _forgotten_calls: dict[Key, int] = field(init=False, repr=False, default_factory=dict)
    _forgotten_orgs: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _forgotten_all: int = field(init=False, repr=False, default=0)
    """Past ``max_tombstones``, one stamp for everything: no read older than it is put."""
    reads: SingleFlight[ReadKey, CachedView] = field(
        init=False, repr=False, default_factory=SingleFlight
    )
    """Reads of a call's sources under way, shared by the same caller's readers."""

    def __len__(self) -> int:
        return len(self._views)

    def __contains__(self, key: Key) -> bool:
        """Whether a view of (organization, call) is held, expired or not."""
        return key in self._views

    def stamp(self) -> int:
        """Taken before asking the sources, handed back to ``put``."""
        return self._forgets

    def get(self, org_id: str, call_id: str) -> CachedView | None:
        entry = self._views.get((org_id, call_id))
        if entry is None:
            return None
        if self._expired(entry, self.clock()):
            self._drop((org_id, call_id))
            return None
        self._views.move_to_end((org_id, call_id))
        return entry.view

    def put(self, org_id: str, call_id: str, view: CachedView, *, since: int) -> bool:
        """Keep ``view``, read from its sources after ``stamp()`` gave ``since``; False
        (not kept) when the call or its organization was forgotten since: what was read
        may be from before an erasure."""
        self._drop((org_id, call_id))
        if since < max(
            self._forgotten_all,
            self._forgotten_orgs.get(org_id, 0),
            self._forgotten_calls.get((org_id, call_id), 0),
        ):
            return False
        if self.max_entries <= 0 or view.size > self.max_bytes:
            return False
        self._views[org_id, call_id] = _Entry(view, self.clock())
        self._bytes += view.size
        while len(self._views) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._views.popitem(last=False)
            self._bytes -= dropped.view.size
        return True

    def forget(self, org_id: str, call_id: str | None = None) -> None:
        """Drop a call's view, or with no ``call_id`` every view of the organization;
        views being read meanwhile are not kept either (``put``)."""
        self._forgets += 1
        if len(self._forgotten_calls) + len(self._forgotten_orgs) >= self.max_tombstones:
            self._forgotten_calls.clear()
            self._forgotten_orgs.clear()
            self._forgotten_all = self._forgets
        if call_id is not None:
            self._forgotten_calls[org_id, call_id] = self._forgets
            self._drop((org_id, call_id))
            return
        self._forgotten_orgs[org_id] = self._forgets
        for key in [k for k in self._views if k[0] == org_id]:
            self._drop(key)

    def discard(self, org_id: str, call_id: str) -> None:
        """Drop a call's view, leaving no tombstone: for a read refused (404, 403), which
        anyone can cause for any id, so it must not fill the tombstones that erasures need."""
        self._drop((org_id, call_id))

    async def drop_expired(self) -> int:
        """Drop every view older than ``max_age_seconds`` (run periodically: a view no
        one reads again goes too); returns how many went."""
        now = self.clock()
        old = [key for key, entry in self._views.items() if self._expired(entry, now)]
        for key in old:
            self._drop(key)
        return len(old)

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.kept_at >= self.max_age_seconds

    def _drop(self, key: Key) -> None:
        dropped = self._views.pop(key, None)
        if dropped is not None:
            self._bytes -= dropped.view.size
