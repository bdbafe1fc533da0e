"""Zoom import: connecting an organization's Zoom account, taking Zoom's notifications,
and bringing each completed recording into ingest on the meeting host's behalf.

- Connecting: OAuth's authorization-code flow (``start_authorization`` hands out
  Zoom's authorize URL with a one-time ``state``; ``finish_authorization`` exchanges
  the code) or Server-to-Server OAuth with the organization's own app: its admin made
  it inside their Zoom account and gives its credentials, which Zoom must accept
  before anything is kept (so nobody claims an account without its client secret).
  Tokens and the app's secrets are sealed with the keyring, bound to the organization.
  A Zoom account connects one organization: another one proving the same account
  gets 409 ``zoom_account_taken`` until the first disconnects (no silent takeover).
- Tokens: ``ZoomTokens.access_token`` reads a fresh token without a lock, and
  refreshes one about to expire under the connection's row lock, reading it again
  there (Zoom's refresh tokens work once: two refreshes at once would leave one of
  them with a dead token).
- Notifications: ``receive`` checks the signature and its age, answers URL validation,
  and records a ``recording.completed`` as an import job in the same transaction as
  the notification's receipt (a replayed request, or a refused one, records nothing).
  The deployment's app (``/webhooks/zoom``, its secret token) speaks for OAuth
  connections only; a Server-to-Server app posts to its connection's own URL
  (``/webhooks/zoom/{webhook_key}``), signed with its own secret token, and only for
  its own account.
- Imports: the ``ZoomImporter`` works the jobs off like the webhook dispatcher (claim
  with a lease, work outside any transaction, record): participants from Zoom's API,
  the file streamed to a temporary file, then uploaded to ingest. A transient failure
  (timeout, 429, 5xx) is retried with backoff, any other is kept on the import and the
  connection, where the organization's admins see it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, InitVar, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.domain_errors import DomainError, InvalidInput, Unavailable
from clashtor_common.identity import Identity
from clashtor_common.pagination import creation_page
from clashtor_common.periodic import Periodic
from integrations.adapters.ingest import IngestUploader
from integrations.adapters.tables import (
    ZoomConnection,
    ZoomImport,
    ZoomOAuthState,
    ZoomWebhookReceipt,
    as_utc,
)
from integrations.adapters.zoom import Tokens, TransferError, ZoomClient
from integrations.domain import zoom as rules
from integrations.domain.retries import RetryPolicy
from integrations.domain.targets import parse_networks
from integrations.service_layer.zoom_fence import hand_over, locked_import, still_ours, tombstone
from integrations.settings import IntegrationsSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE_TTL = timedelta(minutes=10)
IMPORT_LEASE = timedelta(minutes=15)
"""A claimed import is tried again after this if its worker died (a long download)."""
RECEIPT_RETENTION = timedelta(hours=1)
"""Receipts older than the signature's age limit are never needed again."""


def _aad(org_id: str, what: str) -> bytes:
    return f"integrations:zoom:{org_id}:{what}".encode()


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def redirect_uri(settings: IntegrationsSettings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/v1/integrations/zoom/callback"


def webhook_url(settings: IntegrationsSettings, conn: ZoomConnection) -> str | None:
    """Where the connection's own Server-to-Server app posts its notifications."""
    if not conn.webhook_key:
        return None
    return f"{settings.public_base_url.rstrip('/')}/webhooks/zoom/{conn.webhook_key}"


@dataclass
class ZoomDeps:
    settings: IntegrationsSettings
    keyring: Keyring
    client: ZoomClient

    def download_refusal(self, url: str) -> str | None:
        """Why a recording download may not go to ``url`` (off Zoom, not https), or None."""
        return rules.download_refusal(
            url,
            self.settings.zoom_download_hosts,
            parse_networks(self.settings.webhook_allowed_networks),
        )


# connecting --------------------------------------------------------------------------


def _require_app(settings: IntegrationsSettings) -> None:
    if not settings.zoom_client_id or not settings.zoom_secret("client_secret"):
        raise rules.not_configured("ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")


async def start_authorization(session: AsyncSession, deps: ZoomDeps, identity: Identity) -> str:
    """Zoom's authorize URL for this admin, with a one-time ``state`` bound to them."""
    _require_app(deps.settings)
    state = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await session.execute(delete(ZoomOAuthState).where(col(ZoomOAuthState.expires_at) < now))
    session.add(
        ZoomOAuthState(
            state_hash=_hash(state),
            org_id=identity.org_id,
            user_id=identity.user_id,
            expires_at=now + STATE_TTL,
        )
    )
    return deps.client.authorize_url(state=state, redirect_uri=redirect_uri(deps.settings))


async def finish_authorization(
    db: Database, deps: ZoomDeps, identity: Identity, *, code: str, state: str
) -> ZoomConnection:
    """Exchange Zoom's code for tokens; the ``state`` must be this admin's, and unused."""
    _require_app(deps.settings)
    async with db.session() as session:
        row = await session.get(ZoomOAuthState, _hash(state))
        if row is not None:
            await session.delete(row)  # used once, whatever happens next
    now = datetime.now(UTC)
    if (
        row is None
        or row.org_id != identity.org_id
        or row.user_id != identity.user_id
        or (as_utc(row.expires_at) or now) < now
    ):
        raise rules.invalid_state()
    tokens = await _provider(deps.client.exchange_code(code, redirect_uri(deps.settings)))
    me = await _provider(deps.client.me(tokens.access_token))
    account_id = str(me.get("account_id") or "")
    if not account_id:
        raise rules.not_configured("Zoom answered no account id for this user")
    return await _saved(
        db, lambda session: _save(session, deps, identity, "oauth", account_id, tokens)
    )


@dataclass(frozen=True)
class ServerToServerApp:
    """The credentials of an organization's own Server-to-Server OAuth app."""

    account_id: str
    client_id: str
    client_secret: str
    webhook_secret_token: str


async def connect_server_to_server(
    db: Database, deps: ZoomDeps, identity: Identity, app: ServerToServerApp
) -> ZoomConnection:
    """Connect the organization's Zoom account with the credentials of its own app, once
    Zoom granted a token for that account with them (refused: nothing is kept)."""
    try:
        tokens = await deps.client.account_token(
            app.account_id, client_id=app.client_id, client_secret=app.client_secret
        )
    except TransferError as exc:
        if exc.transient:
            raise Unavailable(str(exc), "zoom_unavailable") from exc
        raise rules.credentials_refused(str(exc)) from exc
    return await _saved(
        db,
        lambda session: _save(
            session, deps, identity, "server_to_server", app.account_id, tokens, app=app
        ),
    )


async def _provider(call: Any) -> Any:
    """A Zoom call made for an admin's request: its failure is theirs to see (400/503)."""
    try:
        return await call
    except TransferError as exc:
        if exc.transient:
            raise Unavailable(str(exc), "zoom_unavailable") from exc
        raise DomainError(str(exc), "zoom_refused") from exc


async def _saved(
    db: Database, save: Callable[[AsyncSession], Awaitable[ZoomConnection]]
) -> ZoomConnection:
    """``save`` in a transaction of its own. Two connects at once (the same account by two
    organizations, or a form sent twice) both pass its check and one commit breaks a
    unique key: that one is tried again and then sees the other's row (taken: 409)."""
    try:
        async with db.session() as session:
            return await save(session)
    except IntegrityError:
        pass  # the other connect committed first: its row is seen now
    async with db.session() as session:
        return await save(session)


async def _save(
    session: AsyncSession,
    deps: ZoomDeps,
    identity: Identity,
    kind: str,
    account_id: str,
    tokens: Tokens,
    *,
    app: ServerToServerApp | None = None,
) -> ZoomConnection:
    taken = await session.execute(
        select(ZoomConnection.org_id).where(
            col(ZoomConnection.account_id) == account_id,
            col(ZoomConnection.org_id) != identity.org_id,
        )
    )
    if taken.first() is not None:
        raise rules.account_taken()
    conn = await session.get(ZoomConnection, identity.org_id) or ZoomConnection(
        org_id=identity.org_id,
        account_id=account_id,
        kind=kind,
        access_token_enc=b"",
        expires_at=datetime.now(UTC),
        connected_by=identity.user_id,
    )
    if conn.account_id == account_id:
        await _requeue_refused(session, identity.org_id)
    else:
        conn.webhook_key = None  # another account: a URL of its own
    conn.account_id, conn.kind, conn.connected_by = account_id, kind, identity.user_id
    conn.connected_at = datetime.now(UTC)
    conn.last_failure, conn.last_failure_at = None, None
    conn.needs_reauthorization = False
    _store_app(deps.keyring, conn, app)
    _store_tokens(deps.keyring, conn, tokens)
    session.add(conn)
    return conn


def _store_app(keyring: Keyring, conn: ZoomConnection, app: ServerToServerApp | None) -> None:
    """The S2S app's credentials, sealed; none for OAuth. The webhook key stays while
    the same account is connected again (its admin need not paste a new URL)."""
    if app is None:
        conn.client_id = conn.client_secret_enc = conn.webhook_secret_enc = None
        conn.webhook_key = None
        return
    org = conn.org_id
    conn.client_id = app.client_id
    conn.client_secret_enc = keyring.encrypt_text(app.client_secret, _aad(org, "client_secret"))
    conn.webhook_secret_enc = keyring.encrypt_text(
        app.webhook_secret_token, _aad(org, "webhook_secret")
    )
    conn.webhook_key = conn.webhook_key or secrets.token_urlsafe(32)


async def _requeue_refused(session: AsyncSession, org_id: str) -> None:
    """The imports that failed because Zoom refused the token: due again now that Zoom is
    connected again (not when another Zoom account replaced the one they came from)."""
    now = datetime.now(UTC)
    await session.execute(
        update(ZoomImport)
        .where(col(ZoomImport.org_id) == org_id, col(ZoomImport.waits_for_reconnect))
        .values(
            status=rules.PENDING, next_attempt_at=now, updated_at=now, waits_for_reconnect=False
        )
    )


def _store_tokens(keyring: Keyring, conn: ZoomConnection, tokens: Tokens) -> None:
    conn.access_token_enc = keyring.encrypt_text(tokens.access_token, _aad(conn.org_id, "access"))
    if tokens.refresh_token:
        conn.refresh_token_enc = keyring.encrypt_text(
            tokens.refresh_token, _aad(conn.org_id, "refresh")
        )
    conn.expires_at = datetime.now(UTC) + timedelta(seconds=tokens.expires_in)


async def disconnect(session: AsyncSession, org_id: str) -> None:
    conn = await session.get(ZoomConnection, org_id)
    if conn is None:
        raise rules.not_connected()
    await session.delete(conn)


async def connection(session: AsyncSession, org_id: str) -> ZoomConnection | None:
    return await session.get(ZoomConnection, org_id)


async def imports_page(
    session: AsyncSession, org_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ZoomImport], str | None]:
    """The organization's imports, newest first, a page at a time."""
    query = select(ZoomImport).where(
        col(ZoomImport.org_id) == org_id, col(ZoomImport.status) != rules.ERASED
    )
    return await creation_page(
        session, query, ZoomImport, limit=limit, cursor=cursor, newest_first=True
    )


def import_title(keyring: Keyring, item: ZoomImport) -> str | None:
    if item.topic_enc is None:
        return None
    return keyring.decrypt_text(item.topic_enc, _aad(item.org_id, f"topic:{item.id}"))


# tokens ------------------------------------------------------------------------------


class ZoomAuthorizationRevoked(TransferError):
    """Zoom refused to renew the organization's token: only an admin connecting again helps."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False, status=401)


REAUTHORIZE = "an owner or admin must connect Zoom again"


class ZoomTokens:
    """An organization's access token, refreshed before it runs out, or once Zoom rejects it.

    A refusal to renew (the refresh token revoked or used up, the app uninstalled, the
    account credentials no longer valid) marks the connection as needing
    re-authorization; from then on nothing is asked of Zoom for it until an admin
    connects again, so a revoked app is not hammered by every pending import.
    """

    def __init__(self, db: Database, deps: ZoomDeps) -> None:
        self.db = db
        self.deps = deps
        self.margin = timedelta(seconds=deps.settings.zoom_refresh_margin_seconds)

    async def access_token(self, org_id: str, *, rejected: str | None = None) -> str:
        """The token to use; ``rejected`` is one Zoom just answered 401 to (revoked or
        expired early): it is renewed, unless another worker renewed it meanwhile.

        A usable token is read without a lock (every import reads it, usually fresh);
        only a renewal takes the connection's row lock, and reads the row again under it:
        two workers that both found the token stale renew it once (the second finds the
        first one's token), as a Zoom refresh token works once."""
        async with self.db.session() as session:
            usable = self._usable(await self._connection(session, org_id, lock=False), rejected)
        if usable is not None:
            return usable
        keyring = self.deps.keyring
        async with self.db.session() as session:
            conn = await self._connection(session, org_id, lock=True)
            usable = self._usable(conn, rejected)
            if usable is not None:
                return usable  # renewed by another worker meanwhile
            try:
                tokens = await self._renew(conn)
            except TransferError as exc:
                if exc.transient:
                    raise
                revoked = ZoomAuthorizationRevoked(
                    f"Zoom refused to renew the access token ({exc}): {REAUTHORIZE}"
                )
                conn.needs_reauthorization = True
                conn.last_failure, conn.last_failure_at = str(revoked)[:500], datetime.now(UTC)
                session.add(conn)
                log.warning("zoom connection of org %s needs re-authorization: %s", org_id, exc)
            else:
                _store_tokens(keyring, conn, tokens)
                session.add(conn)
                log.info("zoom access token of org %s refreshed", org_id)
                return tokens.access_token
        raise revoked  # after the mark is committed

    async def _connection(
        self, session: AsyncSession, org_id: str, *, lock: bool
    ) -> ZoomConnection:
        query = select(ZoomConnection).where(col(ZoomConnection.org_id) == org_id)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update()
        conn = (await session.execute(query)).scalar_one_or_none()
        if conn is None:
            raise TransferError("Zoom is not connected any more", transient=False)
        if conn.needs_reauthorization:
            raise ZoomAuthorizationRevoked(
                f"the Zoom connection needs re-authorization: {REAUTHORIZE}"
            )
        return conn

    def _usable(self, conn: ZoomConnection, rejected: str | None) -> str | None:
        """The connection's token unless it expires within the margin or was rejected."""
        current = self.deps.keyring.decrypt_text(conn.access_token_enc, _aad(conn.org_id, "access"))
        fresh = (as_utc(conn.expires_at) or datetime.now(UTC)) - self.margin > datetime.now(UTC)
        return current if fresh and current != rejected else None

    async def _renew(self, conn: ZoomConnection) -> Tokens:
        if conn.kind == "server_to_server":
            if not conn.client_id or conn.client_secret_enc is None:
                raise TransferError("no Server-to-Server app credentials kept", transient=False)
            secret = self.deps.keyring.decrypt_text(
                conn.client_secret_enc, _aad(conn.org_id, "client_secret")
            )
            return await self.deps.client.account_token(
                conn.account_id, client_id=conn.client_id, client_secret=secret
            )
        if conn.refresh_token_enc is None:
            raise TransferError("Zoom gave no refresh token", transient=False)
        refresh = self.deps.keyring.decrypt_text(
            conn.refresh_token_enc, _aad(conn.org_id, "refresh")
        )
        return await self.deps.client.refresh(refresh)


# notifications -----------------------------------------------------------------------


async def receive(
    db: Database,
    deps: ZoomDeps,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    host: Identity | None,
    webhook_key: str | None = None,
) -> dict[str, str] | None:
    """Take one Zoom notification: the URL validation answer, or None once recorded.

    Without ``webhook_key``: the deployment's app, signed with its secret token, for the
    OAuth connection of the notification's account. With it: the Server-to-Server app
    of that one connection, signed with the app's own secret token, for its own account
    only (an admin knows their app's secret: it must not speak for another account)."""
    settings = deps.settings
    if webhook_key is None:
        secret = settings.zoom_secret("webhook_secret_token")
    else:
        secret = await _app_secret(db, deps.keyring, webhook_key)
    rules.check_signature(
        secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=datetime.now(UTC),
        max_age_seconds=settings.zoom_webhook_max_age_seconds,
    )
    data = rules.parse_notification(body)
    if data["event"] == rules.URL_VALIDATION:
        plain = data["payload"].get("plainToken")
        if not isinstance(plain, str) or not plain:
            raise InvalidInput("payload.plainToken is required", "invalid_notification")
        return rules.url_validation_answer(secret, plain)
    assert signature is not None
    async with db.session() as session:
        if await session.get(ZoomWebhookReceipt, _hash(signature)) is not None:
            raise rules.replayed()
        session.add(ZoomWebhookReceipt(signature_hash=_hash(signature)))
        try:
            await session.flush()
        except IntegrityError:
            raise rules.replayed() from None
        conn = await _addressed(session, data, webhook_key)
        if conn is None:
            log.info("zoom notification for an account no organization connected: ignored")
        elif data["event"] == rules.RECORDING_COMPLETED:
            await _record_recording(session, deps, data, host, conn)
        elif data["event"] == rules.APP_DEAUTHORIZED:
            _deauthorized(session, conn)
    return None


async def _app_secret(db: Database, keyring: Keyring, webhook_key: str) -> str:
    """The secret token of the Server-to-Server app whose URL has ``webhook_key``."""
    async with db.session() as session:
        conn = await _by_webhook_key(session, webhook_key)
        if conn is None or conn.webhook_secret_enc is None:
            raise rules.unknown_webhook()
        return keyring.decrypt_text(conn.webhook_secret_enc, _aad(conn.org_id, "webhook_secret"))


async def _by_webhook_key(session: AsyncSession, webhook_key: str) -> ZoomConnection | None:
    query = select(ZoomConnection).where(col(ZoomConnection.webhook_key) == webhook_key)
    return (await session.execute(query)).scalar_one_or_none()


def _account_of(data: dict[str, Any]) -> str:
    payload = data["payload"]
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    return str(payload.get("account_id") or obj.get("account_id") or "")


async def _addressed(
    session: AsyncSession, data: dict[str, Any], webhook_key: str | None
) -> ZoomConnection | None:
    """The connection a signed notification may change: the OAuth connection of its
    account (the deployment's app), or the one whose own app signed it, when it is
    about that connection's account (else refused: nothing is recorded)."""
    account_id = _account_of(data)
    if webhook_key is None:
        query = select(ZoomConnection).where(
            col(ZoomConnection.account_id) == account_id, col(ZoomConnection.kind) == "oauth"
        )
        return (await session.execute(query)).scalar_one_or_none()
    conn = await _by_webhook_key(session, webhook_key)
    if conn is None:  # disconnected since the signature was checked
        raise rules.unknown_webhook()
    if account_id != conn.account_id:
        raise rules.account_mismatch()
    return conn


def _deauthorized(session: AsyncSession, conn: ZoomConnection) -> None:
    """The app was removed from the Zoom account: its tokens are forgotten (Zoom asks
    apps to delete what they hold) and the connection waits for an admin to connect
    again, so nothing is asked of Zoom meanwhile."""
    conn.access_token_enc, conn.refresh_token_enc = b"", None
    conn.needs_reauthorization = True
    conn.last_failure = f"the Clashtor app was removed from the Zoom account: {REAUTHORIZE}"
    conn.last_failure_at = datetime.now(UTC)
    session.add(conn)
    log.warning("zoom app removed from the account of org %s", conn.org_id)


async def _record_recording(
    session: AsyncSession,
    deps: ZoomDeps,
    data: dict[str, Any],
    host: Identity | None,
    conn: ZoomConnection,
) -> None:
    payload = data["payload"]
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    org_id = conn.org_id
    meeting_uuid = str(obj.get("uuid") or obj.get("id") or "")[:200]
    files = obj.get("recording_files") if isinstance(obj.get("recording_files"), list) else []
    chosen = rules.pick_recording(files)
    file_id = chosen.file_id if chosen else f"meeting:{meeting_uuid}"
    existing = await session.execute(
        select(ZoomImport.id).where(
            col(ZoomImport.org_id) == org_id, col(ZoomImport.file_id) == file_id[:100]
        )
    )
    if existing.first() is not None:
        return  # the same recording again: imported (or being imported) once
    now = datetime.now(UTC)
    item = ZoomImport(
        id=str(uuid.uuid4()),
        org_id=org_id,
        file_id=file_id[:100],
        meeting_uuid=meeting_uuid,
        file_type=chosen.file_type if chosen else "",
        zoom_host_id=str(obj.get("host_id") or "")[:100],
        host_user_id=host.user_id if host is not None and host.org_id == org_id else None,
        download_url_enc=b"",
        next_attempt_at=now,
    )
    keyring = deps.keyring
    item.download_url_enc = keyring.encrypt_text(
        chosen.download_url if chosen else "", _aad(org_id, f"url:{item.id}")
    )
    token = payload.get("download_token") or data.get("download_token")
    if isinstance(token, str) and token:
        item.download_token_enc = keyring.encrypt_text(token, _aad(org_id, f"token:{item.id}"))
    topic = obj.get("topic")
    if isinstance(topic, str) and topic.strip():
        item.topic_enc = keyring.encrypt_text(topic.strip()[:200], _aad(org_id, f"topic:{item.id}"))
    if not await _inserted(session, item):
        log.info("zoom recording %s of org %s announced twice at once: one import", file_id, org_id)
        return
    if chosen is None:
        _fail(conn, item, "the recording has no audio (M4A) or video (MP4) file", now)
    elif refused := deps.download_refusal(chosen.download_url):
        _fail(conn, item, f"the recording's download link is {refused}: not followed", now)
    elif item.host_user_id is None:
        _fail(
            conn,
            item,
            "the meeting's host has no Clashtor account in this organization "
            f"(Zoom user {item.zoom_host_id or 'unknown'})",
            now,
        )
    session.add(item)
    session.add(conn)


async def _inserted(session: AsyncSession, item: ZoomImport) -> bool:
    """Insert ``item`` under a savepoint; False when (org, file) is taken already. Zoom
    retries a notification with a new signature: two about one recording can both find
    no import, and the later INSERT waits for the earlier's commit, then breaks the
    unique key. That is the same recording again (taken, its receipt kept), not a 500."""
    try:
        async with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return False
    return True


def _fail(conn: ZoomConnection | None, item: ZoomImport, reason: str, now: datetime) -> None:
    item.status, item.last_error, item.next_attempt_at, item.updated_at = (
        rules.FAILED,
        reason[:500],
        None,
        now,
    )
    if conn is not None:
        conn.last_failure, conn.last_failure_at = reason[:500], now
    log.warning("zoom import %s failed: %s", item.id, reason)


# imports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    import_id: str
    org_id: str
    host_user_id: str
    zoom_host_id: str
    meeting_uuid: str
    file_id: str
    file_type: str
    download_url: str
    download_token: str | None
    title: str | None
    lease: datetime
    """The ``next_attempt_at`` this worker set: while the row still has it, it is ours."""


@dataclass(eq=False)
class ZoomImporter:
    db: Database
    deps: ZoomDeps
    tokens: ZoomTokens
    uploader: IngestUploader
    policy: RetryPolicy
    _: KW_ONLY
    poll_seconds: InitVar[float]
    max_participants: int = 50
    _loop: Periodic = field(init=False, repr=False)

    def __post_init__(self, poll_seconds: float) -> None:
        self._loop = Periodic("zoom-imports", poll_seconds, self.run_once)

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def wake(self) -> None:
        self._loop.wake()

    async def run_once(self) -> int:
        claimed = await self._claim(datetime.now(UTC))
        for claim in claimed:
            await self._import(claim)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[Claimed]:
        keyring = self.deps.keyring
        async with self.db.session() as session:
            await session.execute(
                delete(ZoomWebhookReceipt).where(
                    col(ZoomWebhookReceipt.received_at) < now - RECEIPT_RETENTION
                )
            )
            query = (
                select(ZoomImport)
                .where(
                    col(ZoomImport.status).in_([rules.PENDING, rules.UPLOADING]),
                    col(ZoomImport.next_attempt_at) <= now,
                )
                .order_by(col(ZoomImport.next_attempt_at))
                .limit(5)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for item in (await session.execute(query)).scalars():
                # an upload whose worker died is tried again (ingest answers the same
                # bytes from the same uploader with the call it already made)
                item.status, item.next_attempt_at = rules.PENDING, now + IMPORT_LEASE
                session.add(item)
                org = item.org_id
                token = None
                if item.download_token_enc is not None:
                    token = keyring.decrypt_text(
                        item.download_token_enc, _aad(org, f"token:{item.id}")
                    )
                claimed.append(
                    Claimed(
                        import_id=item.id,
                        org_id=org,
                        host_user_id=item.host_user_id or "",
                        zoom_host_id=item.zoom_host_id,
                        meeting_uuid=item.meeting_uuid,
                        file_id=item.file_id,
                        file_type=item.file_type,
                        download_url=keyring.decrypt_text(
                            item.download_url_enc, _aad(org, f"url:{item.id}")
                        ),
                        download_token=token,
                        title=import_title(keyring, item),
                        lease=now + IMPORT_LEASE,
                    )
                )
            return claimed

    async def _import(self, claim: Claimed) -> None:
        """Participants and file from Zoom, then through the erasure fence to ingest;
        the outcome is recorded while the import is still this worker's."""
        extension = "m4a" if claim.file_type == "M4A" else "mp4"
        with tempfile.TemporaryDirectory(prefix="zoom-import-") as tmp:
            path = Path(tmp) / f"zoom-{claim.import_id}.{extension}"
            try:
                participants = await self._participants(claim)
                await self._download(claim, path)
            except TransferError as exc:
                await self._record(claim, rules.PENDING, claim.lease, None, exc)
                return
            lease = await hand_over(self.db, claim.import_id, claim.lease, IMPORT_LEASE)
            if lease is None:  # the file goes with the temporary directory, unread
                log.info("zoom import %s erased or taken over: not uploaded", claim.import_id)
                return
            try:
                uploaded = await self.uploader.upload(
                    Identity(org_id=claim.org_id, user_id=claim.host_user_id, role="rep"),
                    path,
                    filename=path.name,
                    title=claim.title or "Zoom meeting",
                    participants=participants,
                    source=f"zoom:{claim.file_id}",
                )
            except TransferError as exc:
                await self._record(claim, rules.UPLOADING, lease, None, exc)
            else:
                await self._record(claim, rules.UPLOADING, lease, uploaded.call_id, None)

    async def _participants(self, claim: Claimed) -> list[dict[str, str]]:
        client = self.deps.client
        try:
            people = await self._authorized(
                claim.org_id, lambda token: client.participants(token, claim.meeting_uuid)
            )
        except TransferError as exc:
            if exc.transient or isinstance(exc, ZoomAuthorizationRevoked):
                raise
            log.warning("zoom participants of import %s unavailable: %s", claim.import_id, exc)
            people = []
        host_email = next(
            (
                str(p.get("user_email"))
                for p in people
                if claim.zoom_host_id and p.get("id") == claim.zoom_host_id
            ),
            None,
        )
        return rules.call_participants(host_email, people, max_count=self.max_participants)

    async def _authorized(self, org_id: str, ask: Callable[[str], Awaitable[T]]) -> T:
        """``ask`` with the organization's access token; when Zoom rejects the token
        (401: revoked, or expired before its time), renewed once and asked again."""
        token = await self.tokens.access_token(org_id)
        try:
            return await ask(token)
        except TransferError as exc:
            if exc.status != 401:
                raise
            log.info("zoom rejected the access token of org %s: renewing it", org_id)
        return await ask(await self.tokens.access_token(org_id, rejected=token))

    async def _download(self, claim: Claimed, path: Path) -> None:
        """The webhook's download token first (Zoom's documented way); once it is
        refused (it lives 24 hours), the organization's access token."""

        async def fetch(access: str | None, download_token: str | None) -> int:
            return await self.deps.client.download(
                claim.download_url,
                path,
                access_token=access,
                download_token=download_token,
                max_bytes=self.deps.settings.zoom_max_recording_bytes,
                refusal=self.deps.download_refusal,
            )

        if claim.download_token:
            try:
                await fetch(None, claim.download_token)
                return
            except TransferError as exc:
                if exc.status != 401:
                    raise
                log.info("zoom download token of import %s refused", claim.import_id)
        await self._authorized(claim.org_id, lambda token: fetch(token, None))

    async def _record(
        self,
        claim: Claimed,
        status: str,
        lease: datetime,
        call_id: str | None,
        failure: TransferError | None,
    ) -> None:
        """Record the outcome, only if the import is still in ``status`` under this
        worker's ``lease`` (not erased, not taken over)."""
        now = datetime.now(UTC)
        async with self.db.session() as session:
            item = await locked_import(session, claim.import_id)
            if item is None or not still_ours(item, status, lease):
                log.info("zoom import %s erased or taken over: outcome dropped", claim.import_id)
                return
            if (
                failure is not None
                and failure.status == 410
                and failure.code in rules.INGEST_ERASED_CODES
            ):
                log.info("zoom import %s: ingest erased its subject (%s)", item.id, failure.code)
                tombstone(item, now)
                session.add(item)
                return
            conn = await session.get(ZoomConnection, claim.org_id)
            item.attempts += 1
            item.updated_at = now
            if failure is None:
                item.status, item.call_id, item.next_attempt_at = rules.IMPORTED, call_id, None
                item.last_error = None
                if conn is not None:
                    conn.last_import_at = now
            else:
                retry = None
                if failure.transient:
                    created = as_utc(item.created_at) or now
                    retry = self.policy.next_attempt(created, now, item.attempts)
                if retry is not None:
                    item.status, item.next_attempt_at = rules.PENDING, retry
                    item.last_error = str(failure)[:500]
                    log.info("zoom import %s retried at %s: %s", item.id, retry, failure)
                else:
                    _fail(conn, item, str(failure), now)
                    item.waits_for_reconnect = isinstance(failure, ZoomAuthorizationRevoked)
            session.add(item)
            if conn is not None:
                session.add(conn)
