"""Assembled call views kept per call version, so an unchanged call is not rebuilt per read.

``GET /v1/calls/{id}`` joins ingest's call, transcribe's transcript and score's score.
Once scored, a call rarely changes, yet each read used to fetch, parse, assemble,
validate and serialize the whole transcript again. This cache keeps, per call, what each
source last answered (ingest's raw body, the ETags transcribe and score gave their
parts) and the response built from them: its body bytes and its own ETag.

It never decides who may see a call. Every read still asks ingest for the call as the
caller (ownership, the call's status) and asks transcribe and score with
``If-None-Match``, as the caller; the cached view is used only when ingest answers the
same bytes and both others answer 304 Not Modified, i.e. when building it anew would
give the same bytes. Another organization's id, a call the caller may not see and an
erased call are refused by ingest before the cache is consulted. Entries are dropped on
any refusal for the call and on an erasure for its organization (``forget``), and the
table is bounded in entries and bytes (least recently used first out). Nothing is
written to disk: the plaintext exists in memory only, as it did per request before.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


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


class CallViewCache:
    """Views by (organization, call), least recently used dropped first."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._views: OrderedDict[tuple[str, str], CachedView] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._views)

    def get(self, org_id: str, call_id: str) -> CachedView | None:
        view = self._views.get((org_id, call_id))
        if view is not None:
            self._views.move_to_end((org_id, call_id))
        return view

    def put(self, org_id: str, call_id: str, view: CachedView) -> None:
        self.forget(org_id, call_id)
        if self.max_entries <= 0 or view.size > self.max_bytes:
            return
        self._views[org_id, call_id] = view
        self._bytes += view.size
        while len(self._views) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._views.popitem(last=False)
            self._bytes -= dropped.size

    def forget(self, org_id: str, call_id: str | None = None) -> None:
        """Drop a call's view, or with no ``call_id`` every view of the organization."""
        keys = (
            [(org_id, call_id)]
            if call_id is not None
            else [k for k in self._views if k[0] == org_id]
        )
        for key in keys:
            dropped = self._views.pop(key, None)
            if dropped is not None:
                self._bytes -= dropped.size
