"""``/v1/integrations/zoom`` and ``/webhooks/zoom``: the Zoom import (owned by integrations).

An owner or admin connects the organization's Zoom account with OAuth (``authorize``
redirects to Zoom, Zoom redirects back to ``callback``) or with Server-to-Server OAuth
(the credentials of the organization's own app, made inside its Zoom account). Zoom then
posts ``recording.completed`` to ``/webhooks/zoom`` (the deployment's OAuth app) or to
the connection's own ``/webhooks/zoom/{webhook_key}`` (its Server-to-Server app);
integrations checks the signature and imports the recording into
ingest on the meeting host's behalf. The gateway adds only what it alone knows: which
account of Clashtor has the host's email.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from clashtor_common.contracts import zoom as wire
from clashtor_common.errors import ApiError
from clashtor_common.pagination import Cursor
from gateway.adapters.services import json_body
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, error_responses
from gateway.entrypoints.views import passthrough, webhook_body, webhook_headers
from gateway.service_layer.members import member_by_email

router = APIRouter(prefix="/v1/integrations/zoom", tags=["zoom"], responses=COMMON_ERRORS)
webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
BASE = "/internal/zoom"
SETTINGS_PAGE = "/settings/integrations"


@router.get("", response_model=wire.ZoomStatus)
async def status(principal: Admin, gw: GatewayDep) -> Response:
    """Whether Zoom is connected, the last import and the last failure."""
    code, out = await gw.services.call_json(
        "integrations", "GET", BASE, identity=principal.identity()
    )
    return passthrough(code, out)


@router.get("/imports", response_model=wire.ZoomImportList)
async def imports(
    principal: Admin,
    gw: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=100, description="items per page")] = 20,
    cursor: Cursor = None,
) -> Response:
    """The recordings Zoom announced, newest first, with what became of each."""
    code, out = await gw.services.call_json(
        "integrations",
        "GET",
        f"{BASE}/imports",
        identity=principal.identity(),
        params={"limit": limit, "cursor": cursor},
    )
    return passthrough(code, out)


@router.get("/authorize", status_code=302, response_class=RedirectResponse)
async def authorize(principal: Admin, gw: GatewayDep) -> RedirectResponse:
    """Redirect to Zoom's consent page; Zoom comes back to ``callback``. When Zoom cannot
    be reached from here (not configured on this server, integrations away), back to the
    settings page with ``?zoom=error&reason=<code>``: an admin's browser followed a link
    here and should land on a page, not on a JSON error."""
    try:
        _, out = await gw.services.call_json(
            "integrations", "POST", f"{BASE}/authorize", identity=principal.identity()
        )
    except ApiError as exc:
        return _back({"zoom": "error", "reason": exc.code})
    return RedirectResponse(out["url"], status_code=302)


@router.get("/callback", status_code=302, response_class=RedirectResponse)
async def callback(
    principal: Admin,
    gw: GatewayDep,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where Zoom sends the admin back: the code is exchanged, then the settings page
    shows the outcome (``?zoom=connected`` or ``?zoom=error&reason=<code>``)."""
    if error or not code or not state:
        return _back({"zoom": "error", "reason": error or "missing_code"})
    try:
        await gw.services.call_json(
            "integrations",
            "POST",
            f"{BASE}/callback",
            identity=principal.identity(),
            json={"code": code, "state": state},
        )
    except ApiError as exc:
        return _back({"zoom": "error", "reason": exc.code})
    return _back({"zoom": "connected"})


def _back(query: dict[str, str]) -> RedirectResponse:
    return RedirectResponse(f"{SETTINGS_PAGE}?{urlencode(query)}", status_code=302)


@router.post(
    "/server-to-server", response_model=wire.ZoomStatus, responses=error_responses(409, 422, 503)
)
async def server_to_server(
    body: wire.ZoomServerToServerIn, principal: Admin, gw: GatewayDep
) -> Response:
    """Connect the organization's Zoom account with its own Server-to-Server OAuth app:
    Zoom must accept the credentials first (422 ``zoom_credentials_refused``); an account
    another organization connected is 409 ``zoom_account_taken``. The answer's
    ``webhook_url`` is where the app's event subscription must post."""
    code, out = await gw.services.call_json(
        "integrations",
        "POST",
        f"{BASE}/server-to-server",
        identity=principal.identity(),
        json=body.model_dump(),
    )
    return passthrough(code, out)


@router.delete("/connection", status_code=204)
async def disconnect(principal: Admin, gw: GatewayDep) -> Response:
    code, out = await gw.services.call_json(
        "integrations", "DELETE", f"{BASE}/connection", identity=principal.identity()
    )
    return passthrough(code, out)


def _host_email(raw: bytes) -> str:
    """The meeting host's email in a body nobody has checked yet (any sender's: JSON
    nested past the parser's recursion is no host either, not a crash)."""
    try:
        data = json.loads(raw)
        email = data["payload"]["object"]["host_email"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return ""
    return email if isinstance(email, str) else ""


class ZoomUrlValidation(BaseModel):
    """Zoom's challenge answered: the token and its HMAC-SHA256 under the secret (hex)."""

    plainToken: str  # Zoom's names
    encryptedToken: str


_WEBHOOK_DOC: dict[str, Any] = {
    "response_model": None,
    "responses": {
        200: {"model": ZoomUrlValidation, "description": "endpoint.url_validation answered"},
        204: {"description": "the notification was taken"},
        **error_responses(400, 401, 404, 409, 413, 422, 502, 503),
    },
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}


@webhooks.post("/zoom", **_WEBHOOK_DOC)
async def zoom_webhook(request: Request, gw: GatewayDep) -> Response:
    """Zoom's notifications to the deployment's OAuth app: the raw body and Zoom's
    headers go to integrations, which checks ``x-zm-signature`` and its age, answers
    ``endpoint.url_validation`` and imports ``recording.completed``. The host's account,
    found here by email, rides along as a signed identity (integrations takes it only
    for that organization)."""
    return await _forward_notification(request, gw, f"{BASE}/events")


@webhooks.post("/zoom/{webhook_key}", **_WEBHOOK_DOC)
async def zoom_connection_webhook(
    webhook_key: Annotated[str, Path(min_length=1, max_length=200)],
    request: Request,
    gw: GatewayDep,
) -> Response:
    """The notifications of one organization's own Server-to-Server app, at the URL its
    connection was given: signed with that app's secret token, about its account only
    (an unknown key is 404)."""
    path = f"{BASE}/events/{quote(webhook_key, safe='')}"
    return await _forward_notification(request, gw, path)


async def _forward_notification(request: Request, gw: GatewayDep, path: str) -> Response:
    raw = await webhook_body(request, gw.settings.max_webhook_bytes)
    headers = webhook_headers(request, "x-zm-signature", "x-zm-request-timestamp")
    host = await member_by_email(gw, _host_email(raw))
    resp = await gw.services.request(
        "integrations", "POST", path, identity=host, content=raw, headers=headers
    )
    if resp.status_code == 204:
        return Response(status_code=204)
    if resp.status_code in (400, 401, 404, 409, 422):
        # Zoom's refusals (signature, age, replay, body, unknown URL) are the sender's to
        # see as such; json_body would read a 401 as our own identity refused.
        return JSONResponse(resp.json(), status_code=resp.status_code)
    return passthrough(resp.status_code, json_body("integrations", resp))
