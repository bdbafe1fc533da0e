"""Internal API of the Zoom import: connecting (admins and owners), its status and imports,
and Zoom's notifications as the gateway forwards them (raw body and Zoom's headers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.contracts import zoom as wire
from clashtor_common.identity import IDENTITY_HEADER, Identity, verify_identity
from clashtor_common.pagination import Cursor
from integrations.adapters.tables import ZoomConnection, ZoomImport, as_utc
from integrations.context import IntegrationsContext
from integrations.domain import zoom as rules
from integrations.entrypoints.deps import AdminIdentity, ContextDep, SessionDep
from integrations.service_layer import zoom

router = APIRouter(prefix="/internal/zoom", tags=["zoom"])


class AuthorizeOut(BaseModel):
    url: str = Field(description="Zoom's authorize page, with a one-time state")


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=2000)
    state: str = Field(min_length=1, max_length=200)


def _status(ctx: IntegrationsContext, conn: ZoomConnection | None) -> wire.ZoomStatus:
    """What an admin may see of the connection: never a token nor a secret."""
    if conn is None:
        return wire.ZoomStatus(connected=False)
    return wire.ZoomStatus(
        connected=True,
        kind=conn.kind,
        account_id=conn.account_id,
        connected_at=as_utc(conn.connected_at),
        last_import_at=as_utc(conn.last_import_at),
        last_failure=conn.last_failure,
        last_failure_at=as_utc(conn.last_failure_at),
        needs_reauthorization=conn.needs_reauthorization,
        client_id=conn.client_id,
        webhook_url=zoom.webhook_url(ctx.settings, conn),
    )


@router.post("/authorize", response_model=AuthorizeOut)
async def authorize(identity: AdminIdentity, ctx: ContextDep, session: SessionDep) -> AuthorizeOut:
    return AuthorizeOut(url=await zoom.start_authorization(session, ctx.zoom, identity))


@router.post("/callback", response_model=wire.ZoomStatus)
async def callback(body: CallbackIn, identity: AdminIdentity, ctx: ContextDep) -> wire.ZoomStatus:
    conn = await zoom.finish_authorization(
        ctx.db, ctx.zoom, identity, code=body.code, state=body.state
    )
    ctx.zoom_importer.wake()  # imports refused while Zoom needed reconnecting are due
    return _status(ctx, conn)


@router.post("/server-to-server", response_model=wire.ZoomStatus)
async def server_to_server(
    body: wire.ZoomServerToServerIn, identity: AdminIdentity, ctx: ContextDep
) -> wire.ZoomStatus:
    app = zoom.ServerToServerApp(**body.model_dump())
    conn = await zoom.connect_server_to_server(ctx.db, ctx.zoom, identity, app)
    ctx.zoom_importer.wake()
    return _status(ctx, conn)


@router.get("", response_model=wire.ZoomStatus)
async def status(identity: AdminIdentity, ctx: ContextDep, session: SessionDep) -> wire.ZoomStatus:
    return _status(ctx, await zoom.connection(session, identity.org_id))


@router.delete("/connection", status_code=204)
async def disconnect(identity: AdminIdentity, session: SessionDep) -> Response:
    await zoom.disconnect(session, identity.org_id)
    return Response(status_code=204)


@router.get("/imports", response_model=wire.ZoomImportList)
async def imports(
    identity: AdminIdentity,
    ctx: ContextDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> wire.ZoomImportList:
    rows, next_cursor = await zoom.imports_page(
        session, identity.org_id, limit=limit, cursor=cursor
    )
    return wire.ZoomImportList(items=[_import(ctx, r) for r in rows], next_cursor=next_cursor)


def _import(ctx: IntegrationsContext, item: ZoomImport) -> wire.ZoomImport:
    return wire.ZoomImport(
        id=item.id,
        title=zoom.import_title(ctx.keyring, item),
        file_type=item.file_type,
        status=rules.PENDING if item.status == rules.UPLOADING else item.status,
        attempts=item.attempts,
        call_id=item.call_id,
        error=item.last_error,
        created_at=as_utc(item.created_at),  # type: ignore[arg-type]
        updated_at=as_utc(item.updated_at),  # type: ignore[arg-type]
    )


@router.post("/events")
async def events(request: Request, ctx: ContextDep) -> Response:
    """Zoom's notification from the deployment's app, untouched. The gateway adds the
    meeting host's identity when an account of the organization has the host's email
    (none: the import fails visibly)."""
    return await _take(request, ctx, None)


@router.post("/events/{webhook_key}")
async def connection_events(
    webhook_key: Annotated[str, Path(min_length=1, max_length=200)],
    request: Request,
    ctx: ContextDep,
) -> Response:
    """A notification of one organization's own Server-to-Server app, at its own URL."""
    return await _take(request, ctx, webhook_key)


async def _take(request: Request, ctx: IntegrationsContext, webhook_key: str | None) -> Response:
    host: Identity | None = None
    token = request.headers.get(IDENTITY_HEADER)
    if token:
        host = verify_identity(token, ctx.settings.identity_secret.get_secret_value())
    answer = await zoom.receive(
        ctx.db,
        ctx.zoom,
        body=await request.body(),
        timestamp=request.headers.get("x-zm-request-timestamp"),
        signature=request.headers.get("x-zm-signature"),
        host=host,
        webhook_key=webhook_key,
    )
    if answer is not None:
        return JSONResponse(answer)
    ctx.zoom_importer.wake()
    return Response(status_code=204)
