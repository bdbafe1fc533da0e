"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second effect.

A client that sends ``Idempotency-Key: <key>`` with a POST may send it again after a
timeout or a dropped connection: the same key with the same request (method, path,
query and body) answers the stored status, ``Location`` and body of the first attempt
for 24 hours, with ``Idempotent-Replayed: true``. The same key with another request
answers 422 (``idempotency_key_reused``); while the first attempt is still running,
409 (``idempotency_key_in_use``), so concurrent duplicates never both take effect (the
key is claimed by inserting its row: the primary key admits one).

- Keys are scoped to the credential that sent them (a hash of the bearer token or the
  session cookie): one caller's key never replays to another caller or organization.
- A 5xx answer is not stored (the client may retry the same key); nor is a request
  without a credential (nothing to scope it by; signup and login are not replayed).
- A first attempt cut short by a crash leaves a claim with no answer; after
  ``STALE_CLAIM`` it is treated as absent, so the key is usable again.
- Uploads (multipart ``POST /v1/calls``) pass through: their body is streamed to
  ingest, never held, and ingest already answers the same bytes with the existing
  call (200) instead of a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clashtor_common.db import Database, as_utc, utcnow
from gateway.adapters.tables import IdempotencyRecord
from gateway.entrypoints.asgi_bodies import read_body, replaying, send_error
from gateway.entrypoints.deps import SESSION_COOKIE

HEADER = "idempotency-key"
KEY_MAX_CHARS = 255
REPLAY_FOR = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=5)
MAX_BODY_BYTES = 1024 * 1024
"""Requests and answers larger than this are not held for hashing or replay."""


@dataclass(frozen=True)
class _Stored:
    status: int
    body: bytes
    content_type: str | None
    location: str | None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _credential(scope: Scope) -> str | None:
    auth = _header(scope, b"authorization")
    if auth:
        return auth
    cookies = _header(scope, b"cookie") or ""
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _answer(send: Send, stored: _Stored, *, replayed: bool) -> None:
    headers = [(b"content-length", str(len(stored.body)).encode())]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode()))
    if stored.location:
        headers.append((b"location", stored.location.encode()))
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


class IdempotencyStore:
    """The claims and answers, one row per (credential scope, key)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, scope: str, key: str, request_hash: str) -> IdempotencyRecord | None:
        """Claim the key for this request (None), or the row that already holds it."""
        async with self.db.session() as session:
            row = await session.get(IdempotencyRecord, (scope, key))
            if row is not None and not self._expired(row):
                return row
            if row is not None:
                await session.delete(row)
                await session.flush()
            session.add(IdempotencyRecord(scope=scope, key=key, request_hash=request_hash))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return await self._current(scope, key)
        return None

    async def _current(self, scope: str, key: str) -> IdempotencyRecord | None:
        async with self.db.session() as session:
            return await session.get(IdempotencyRecord, (scope, key))

    @staticmethod
    def _expired(row: IdempotencyRecord) -> bool:
        age = utcnow() - as_utc(row.created_at)
        return age > REPLAY_FOR or (row.status_code is None and age > STALE_CLAIM)

    async def complete(self, scope: str, key: str, stored: _Stored) -> None:
        async with self.db.session() as session:
            row = await session.get(IdempotencyRecord, (scope, key))
            if row is None:
                return
            row.status_code = stored.status
            row.body = stored.body.decode("utf-8", "replace")
            row.content_type = stored.content_type
            row.location = stored.location

    async def release(self, scope: str, key: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope,  # type: ignore[arg-type]
                    IdempotencyRecord.key == key,  # type: ignore[arg-type]
                )
            )


class IdempotencyMiddleware:
    """Applies the rules of this module to every POST that carries the header."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.store = IdempotencyStore(db)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER.encode()) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not key or len(key) > KEY_MAX_CHARS or not key.isascii() or not key.isprintable():
            await send_error(
                send, 400, "invalid_idempotency_key", "Idempotency-Key: 1-255 printable ASCII"
            )
            return
        content_type = (_header(scope, b"content-type") or "").lower()
        credential = _credential(scope)
        if credential is None or content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, MAX_BODY_BYTES)
        except ClientDisconnect:
            return
        if body is None:
            await send_error(send, 413, "payload_too_large", "the request body is too large")
            return
        owner = _sha(credential.encode())
        request_hash = _sha(
            scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body
        )
        held = await self.store.claim(owner, key, request_hash)
        if held is not None:
            await self._answer_held(send, held, request_hash)
            return
        await self._first_attempt(scope, send, body, owner, key)

    async def _answer_held(self, send: Send, held: IdempotencyRecord, request_hash: str) -> None:
        if held.request_hash != request_hash:
            await send_error(
                send,
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with another request; use a new key",
            )
        elif held.status_code is None:
            await send_error(
                send,
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still being processed; retry later",
            )
        else:
            stored = _Stored(
                held.status_code, (held.body or "").encode(), held.content_type, held.location
            )
            await _answer(send, stored, replayed=True)

    async def _first_attempt(
        self, scope: Scope, send: Send, body: bytes, owner: str, key: str
    ) -> None:
        status = 500
        headers: dict[str, str] = {}
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers.update(
                    (k.decode("latin-1").lower(), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                )
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= MAX_BODY_BYTES:
                    chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replaying(body), capture)
        except BaseException:
            await self.store.release(owner, key)
            raise
        if status >= 500 or size > MAX_BODY_BYTES:
            await self.store.release(owner, key)
            return
        stored = _Stored(
            status, b"".join(chunks), headers.get("content-type"), headers.get("location")
        )
        await self.store.complete(owner, key, stored)
