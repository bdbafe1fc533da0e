"""The integrations service's part of erasure and export requests.

What it holds about people: the user who created each webhook (an id), and the
delivery log, whose payloads name calls by id with their figures. It holds no names,
emails or transcript text.

Erasure. An organization: every webhook with its secret, URL and delivery log is
deleted. A user: their id on the webhooks they created is replaced by a pseudonym
(the webhooks are the organization's and keep working). A call: every delivery (and
its attempts) about that call is deleted, pending ones included, so nothing about it
leaves Clashtor afterwards. A participant: nothing is keyed by participant here; the
deliveries of their calls are ids and scores that lead nowhere once those calls are
erased, which ingest does for every call they took part in.

Zoom: an organization's erasure deletes its connection (tokens), pending
authorizations and imports; a user's erases the imports of meetings they hosted (the
meeting topic and download link) and pseudonymizes them as the connection's creator;
a call's erases its import. An erased import is a tombstone (ids only) that no worker
uploads any more, and an import being uploaded right then makes the erasure wait for
its outcome (``zoom_fence``). The export lists the connection (never the tokens) and
the imports with their titles.

Export. The organization's webhooks (without secrets) and delivery log, or the
webhooks a user created, as one JSON document encrypted with the keyring in this
service's bucket, announced by bucket and key.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from clashtor_common import rights
from clashtor_common.crypto import Keyring
from clashtor_common.events import Envelope
from clashtor_common.exportparts import item, write_part
from integrations.adapters.tables import (
    SlackAlert,
    SlackConnection,
    SlackRule,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    ZoomConnection,
    ZoomImport,
    ZoomOAuthState,
)
from integrations.domain.zoom import ERASED
from integrations.service_layer.slack import erase_alerts
from integrations.service_layer.zoom import import_title
from integrations.service_layer.zoom_fence import erase_imports

if TYPE_CHECKING:  # the context holds service-layer workers: imported for its type only
    from integrations.context import IntegrationsContext

SERVICE = "integrations"


def user_pseudonym(secret: str, user_id: str) -> str:
    digest = hashlib.sha256(f"{secret}:erased-user:{user_id}".encode()).hexdigest()[:16]
    return f"erased-{digest}"


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def erase_subject(
    ctx: IntegrationsContext,
    session: AsyncSession,
    event: Envelope,
    request: rights.ErasureRequested,
) -> rights.ErasureCompleted:
    org_id = event.org_id
    pseudonym_secret = ctx.settings.fingerprint_secret.get_secret_value()
    subject = request.subject
    removed: dict[str, int] = {}
    details = ""
    if subject.type == "organization":
        if (subject.id or org_id) != org_id:
            details = f"organization {subject.id} is not the event's organization; nothing done"
        else:
            removed["delivery_attempts"] = await _count(
                session, WebhookAttempt, col(WebhookAttempt.org_id) == org_id
            )
            removed["webhook_deliveries"] = await _count(
                session, WebhookDelivery, col(WebhookDelivery.org_id) == org_id
            )
            await session.execute(
                delete(WebhookAttempt).where(col(WebhookAttempt.org_id) == org_id)
            )
            await session.execute(
                delete(WebhookDelivery).where(col(WebhookDelivery.org_id) == org_id)
            )
            result = await session.execute(
                delete(WebhookSubscription).where(col(WebhookSubscription.org_id) == org_id)
            )
            removed["webhooks"] = result.rowcount or 0  # type: ignore[attr-defined]
            removed["slack_alerts"] = await erase_alerts(session, org_id)
            rules = await session.execute(delete(SlackRule).where(col(SlackRule.org_id) == org_id))
            removed["slack_rules"] = rules.rowcount or 0  # type: ignore[attr-defined]
            conn = await session.execute(
                delete(SlackConnection).where(col(SlackConnection.org_id) == org_id)
            )
            removed["slack_connection"] = conn.rowcount or 0  # type: ignore[attr-defined]
            removed["zoom_imports"] = await erase_imports(session, org_id, delete_rows=True)
            for model, name in (
                (ZoomOAuthState, "zoom_authorizations"),
                (ZoomConnection, "zoom_connection"),
            ):
                gone = await session.execute(delete(model).where(col(model.org_id) == org_id))
                removed[name] = gone.rowcount or 0  # type: ignore[attr-defined]
    elif subject.type == "user" and subject.id:
        result = await session.execute(
            update(WebhookSubscription)
            .where(
                col(WebhookSubscription.org_id) == org_id,
                col(WebhookSubscription.created_by) == subject.id,
            )
            .values(created_by=user_pseudonym(pseudonym_secret, subject.id))
        )
        removed["webhook_creator_pseudonymized"] = result.rowcount or 0  # type: ignore[attr-defined]
        for model in (SlackRule, SlackConnection):
            done = await session.execute(
                update(model)
                .where(col(model.org_id) == org_id, col(model.created_by) == subject.id)
                .values(created_by=user_pseudonym(pseudonym_secret, subject.id))
            )
            removed[f"{model.__tablename__}_creator_pseudonymized"] = done.rowcount or 0  # type: ignore[attr-defined]
        # the imports' row locks before the connection's, in the order an import
        # worker takes them (import, then the connection's last_import_at): the other
        # order deadlocks with a worker recording an outcome
        removed["zoom_imports"] = await erase_imports(
            session, org_id, col(ZoomImport.host_user_id) == subject.id
        )
        zoom = await session.execute(
            update(ZoomConnection)
            .where(
                col(ZoomConnection.org_id) == org_id, col(ZoomConnection.connected_by) == subject.id
            )
            .values(connected_by=user_pseudonym(pseudonym_secret, subject.id))
        )
        removed["zoom_connection_creator_pseudonymized"] = zoom.rowcount or 0  # type: ignore[attr-defined]
        await session.execute(
            delete(ZoomOAuthState).where(
                col(ZoomOAuthState.org_id) == org_id, col(ZoomOAuthState.user_id) == subject.id
            )
        )
    elif subject.type == "call" and subject.id:
        ids = list(
            (
                await session.execute(
                    select(WebhookDelivery.id).where(
                        col(WebhookDelivery.org_id) == org_id,
                        col(WebhookDelivery.subject_id) == subject.id,
                    )
                )
            ).scalars()
        )
        if ids:
            await session.execute(
                delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids))
            )
            await session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
        removed["webhook_deliveries"] = len(ids)
        removed["slack_alerts"] = await erase_alerts(
            session, org_id, col(SlackAlert.call_id) == subject.id
        )
        removed["zoom_imports"] = await erase_imports(
            session, org_id, col(ZoomImport.call_id) == subject.id
        )
    else:
        details = (
            "integrations keys nothing by participant: the deliveries of their calls name "
            "only call ids, and go with those calls' erasure"
        )
    return rights.ErasureCompleted(
        request_id=request.request_id, service=SERVICE, removed=removed, details=details
    )


def _webhook_item(sub: WebhookSubscription) -> dict[str, Any]:
    return item("webhook", sub, "id event_types description source enabled created_by created_at")


def _delivery_item(d: WebhookDelivery) -> dict[str, Any]:
    return item(
        "webhook_delivery",
        d,
        "id event_type status attempts last_status_code created_at delivered_at",
        webhook_id=d.subscription_id,
        payload=json.loads(d.payload),
    )


def _slack_rule_item(rule: SlackRule) -> dict[str, Any]:
    return item(
        "slack_rule",
        rule,
        "id threshold tracker channel created_by created_at",
        rule=rule.kind,
    )


def _zoom_connection_item(conn: ZoomConnection) -> dict[str, Any]:
    fields = "account_id connected_by connected_at last_import_at"
    return item("zoom_connection", conn, fields, type=conn.kind)


def _zoom_import_item(keyring: Keyring, row: ZoomImport) -> dict[str, Any]:
    fields = "id file_type host_user_id status call_id created_at"
    return item("zoom_import", row, fields, title=import_title(keyring, row), error=row.last_error)


async def _zoom_items(
    session: AsyncSession, keyring: Keyring, org_id: str, subject_type: str, subject_id: str | None
) -> list[dict[str, Any]]:
    imports = select(ZoomImport).where(
        col(ZoomImport.org_id) == org_id, col(ZoomImport.status) != ERASED
    )
    items: list[dict[str, Any]] = []
    if subject_type == "organization":
        conn = await session.get(ZoomConnection, org_id)
        items.extend([_zoom_connection_item(conn)] if conn else [])
    elif subject_type == "user":
        imports = imports.where(col(ZoomImport.host_user_id) == subject_id)
    elif subject_type == "call":
        imports = imports.where(col(ZoomImport.call_id) == subject_id)
    else:
        return []
    found = await session.execute(imports.order_by(col(ZoomImport.created_at)))
    items.extend(_zoom_import_item(keyring, i) for i in found.scalars())
    return items


async def export_items(
    session: AsyncSession, request: rights.ExportRequested, org_id: str, keyring: Keyring
) -> list[dict[str, Any]]:
    subject = request.subject
    if subject.type == "organization" and (subject.id or org_id) != org_id:
        return []
    zoom = await _zoom_items(session, keyring, org_id, subject.type, subject.id)
    return [*await _service_items(session, request, org_id), *zoom]


async def _service_items(
    session: AsyncSession, request: rights.ExportRequested, org_id: str
) -> list[dict[str, Any]]:
    subject = request.subject
    subs = select(WebhookSubscription).where(col(WebhookSubscription.org_id) == org_id)
    if subject.type == "organization" and (subject.id or org_id) == org_id:
        items = [_webhook_item(s) for s in (await session.execute(subs)).scalars()]
        deliveries = await session.execute(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.org_id) == org_id)
            .order_by(col(WebhookDelivery.created_at))
        )
        items.extend(_delivery_item(d) for d in deliveries.scalars())
        slack_rules = await session.execute(
            select(SlackRule).where(col(SlackRule.org_id) == org_id)
        )
        items.extend(_slack_rule_item(r) for r in slack_rules.scalars())
        return items
    if subject.type == "user" and subject.id:
        mine = subs.where(col(WebhookSubscription.created_by) == subject.id)
        return [_webhook_item(s) for s in (await session.execute(mine)).scalars()]
    if subject.type == "call" and subject.id:
        about = await session.execute(
            select(WebhookDelivery).where(
                col(WebhookDelivery.org_id) == org_id,
                col(WebhookDelivery.subject_id) == subject.id,
            )
        )
        return [_delivery_item(d) for d in about.scalars()]
    return []


async def export_subject(
    ctx: IntegrationsContext,
    session: AsyncSession,
    event: Envelope,
    request: rights.ExportRequested,
) -> rights.ExportPartReady:
    items = await export_items(session, request, event.org_id, ctx.keyring)
    return await write_part(
        service=SERVICE, request=request, items=items, s3=ctx.s3, keyring=ctx.keyring
    )
