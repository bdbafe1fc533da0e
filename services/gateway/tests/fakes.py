"""Small stand-ins for the owning services' internal APIs, per docs/ARCHITECTURE.md.

They check what the real services will check: every ``/internal`` route requires the
signed identity (``clashtor_common.identity.CurrentIdentity``), every lookup is scoped
by its ``org_id`` (another organization's id answers 404), and visibility of calls
follows the role (rep: own; manager: own and team; others: all). They record what
they were sent, so a test can assert what the gateway forwarded.

They run under uvicorn in a thread of their own, so synchronous tests (schemathesis)
and asynchronous tests can both talk to them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any, Literal

import stripe
from fastapi import Body, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from starlette.requests import ClientDisconnect

from clashtor_common.certificates import CertificateSigner, generate_signing_key, record_digest
from clashtor_common.errors import ApiError, install_error_handlers, not_found
from clashtor_common.etags import matches, strong_etag
from clashtor_common.identity import (
    IDENTITY_HEADER,
    CurrentIdentity,
    Identity,
    verify_identity,
)
from clashtor_common.pagination import InvalidCursor
from gateway.domain.credentials import EMAIL_MAX, EMAIL_PATTERN, NOT_BLANK_PATTERN

STRIPE_WEBHOOK_SECRET = "whsec_gateway_tests"
PRIVACY_PRIVILEGED = frozenset({"owner", "admin", "compliance", "system"})


class _Participant(BaseModel):
    """A participant as ingest's documented upload contract has it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, max_length=200, pattern=NOT_BLANK_PATTERN)
    email: str | None = Field(None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)
    role: Literal["rep", "customer"]

    @model_validator(mode="after")
    def _someone(self) -> _Participant:
        if self.name is None and self.email is None:
            raise ValueError("a participant needs a name or an email")
        return self


_PARTICIPANTS = TypeAdapter(Annotated[list[_Participant], Field(max_length=50)])
_TEMPLATE_ITEM = {
    "key": "metrics",
    "question": "Did the rep quantify the customer's pain?",
    "cues": [{"type": "phrase", "phrases": ["per month"]}],
}
_CUE_DEFAULTS = {
    "phrase": {"said_by": "any", "points": 1.0},
    "tracker": {"said_by": "any", "points": 1.0},
    "metric": {"condition": "in_range", "threshold": None, "points": 1.0},
}


FORGED_CURSOR = "forged"


def _check_cursor(cursor: str | None) -> None:
    """The fakes refuse ``FORGED_CURSOR`` the way every service refuses a cursor it did
    not make (422, per field); any other cursor reads from the start."""
    if cursor == FORGED_CURSOR:
        raise InvalidCursor


def _one_page(items: list[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    """The one page a fake lists (``cursor`` checked as a service checks it)."""
    _check_cursor(cursor)
    return {"items": items[:limit], "next_cursor": None}


def _rescore_job(scorecard_id: str, who: Identity) -> dict[str, Any]:
    """A re-score job just started, as score answers it."""
    now = "2026-01-01T00:00:00+00:00"
    return {
        "id": str(uuid.uuid4()),
        "reason": "scorecard",
        "scorecard_id": scorecard_id,
        "status": "running",
        "total": 0,
        "done": 0,
        "rescored": 0,
        "percent": 0,
        "created_by": who.user_id,
        "created_at": now,
        "updated_at": now,
        "finished_at": None,
    }


def _full_item(item: dict[str, Any]) -> dict[str, Any]:
    """A scorecard item as score stores it: every default written out."""
    cues = [{**_CUE_DEFAULTS[c["type"]], **c} for c in item["cues"]]
    return {"weight": 1.0, "max_points": 1.0, **item, "cues": cues}


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class Seen:
    method: str
    path: str
    identity: Identity | None
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class FakeState:
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    list_params: list[dict[str, str]] = field(default_factory=list)
    audio: dict[str, bytes] = field(default_factory=dict)
    transcripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    outbound: dict[str, dict[str, Any]] = field(default_factory=dict)
    slack_tokens: dict[str, str] = field(default_factory=dict)
    slack_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    """integrations' outbound webhooks by id (with their org_id and deliveries)."""
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    download_tokens: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    signer: CertificateSigner = field(
        default_factory=lambda: CertificateSigner.from_config(generate_signing_key())
    )
    checkout_keys: list[str | None] = field(default_factory=list)
    """The Idempotency-Key each checkout reached billing with (None: without one)."""
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(method, path) → statuses to answer next, instead of the route (one per call)."""
    seen: list[Seen] = field(default_factory=list)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """score's comments by call id."""
    upload_started: threading.Event = field(default_factory=threading.Event)
    upload_bytes_seen: int = 0
    upload_cut: threading.Event = field(default_factory=threading.Event)
    """Set when the gateway closed an upload's request before its body ended."""

    def add_call(self, org_id: str, uploader_id: str, **extra: Any) -> dict[str, Any]:
        call = {
            "id": extra.pop("id", None) or str(uuid.uuid4()),
            "org_id": org_id,
            "uploader_id": uploader_id,
            "status": "uploaded",
            "title": "Discovery call",
            "duration": 42.0,
            "participants": [],
            "created_at": "2026-01-01T00:00:00Z",
            **extra,
        }
        self.calls[call["id"]] = call
        return call

    def seen_paths(self, prefix: str = "") -> list[str]:
        return [s.path for s in self.seen if s.path.startswith(prefix)]

    def seen_at(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    def fail_next(self, method: str, path: str, status: int = 503, times: int = 1) -> None:
        self.failures.setdefault((method, path), []).extend([status] * times)

    def finish_erasure(self, request_id: str, record: dict[str, Any]) -> None:
        """The erasure is complete and its certificate signed (as privacy would have it)."""
        self.requests[request_id].update(status="completed", certificate=record)

    def finish_export(self, request_id: str, bundle: bytes) -> None:
        """The export is complete and its bundle is ready (as privacy would have it)."""
        self.requests[request_id].update(status="completed", bundle=bundle)


def _visible(call: dict[str, Any] | None, who: Identity) -> bool:
    if call is None or call["org_id"] != who.org_id:
        return False
    if who.role == "rep":
        return bool(call["uploader_id"] == who.user_id)
    if who.role == "manager":
        return call["uploader_id"] in {who.user_id, *who.team_user_ids}
    return True


def _public(call: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in call.items() if k not in ("org_id", "sha256")}


def build_app(secret: str, state: FakeState) -> FastAPI:
    app = FastAPI(title="fake internal services")
    app.state.settings = SimpleNamespace(identity_secret=SecretStr(secret))
    install_error_handlers(app)

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        token = request.headers.get(IDENTITY_HEADER)
        ident = None
        if token:
            try:
                ident = verify_identity(token, secret)
            except ApiError:
                ident = None
        state.seen.append(
            Seen(request.method, request.url.path, ident, dict(request.headers.items()))
        )
        scripted = state.failures.get((request.method, request.url.path))
        if scripted:
            status = scripted.pop(0)
            return JSONResponse(
                {"error": {"code": "scripted", "message": "scripted failure"}},
                status,
                headers={"Retry-After": "7"} if status == 503 else None,
            )
        return await call_next(request)

    @app.get("/readyz")
    async def readyz() -> dict[str, bool]:
        return {"ready": True}

    # --- ingest ---------------------------------------------------------------------
    @app.post("/internal/calls")
    async def upload(request: Request, who: CurrentIdentity) -> Response:
        state.upload_bytes_seen = 0
        chunks = []
        try:
            async for chunk in request.stream():
                chunks.append(chunk)
                state.upload_bytes_seen += len(chunk)
                state.upload_started.set()
        except ClientDisconnect:
            state.upload_cut.set()
            raise
        raw = b"".join(chunks)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.request", "body": b"", "more_body": False}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_part_size=64 * 1024 * 1024)
        except Exception as exc:
            raise ApiError(400, "bad_request", f"not a multipart body: {exc}") from exc
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "validation_error", "file: field required")
        data = await upload.read()
        participants: list[Any] = []
        if form.get("participants"):
            try:
                participants = json.loads(str(form["participants"]))
            except ValueError as exc:
                raise ApiError(422, "validation_error", "participants must be JSON") from exc
            try:
                _PARTICIPANTS.validate_python(participants)
            except ValidationError as exc:
                raise ApiError(422, "validation_error", f"participants: {exc}") from exc
        title = form.get("title")
        if title is not None and len(str(title)) > 500:
            raise ApiError(422, "validation_error", "title: at most 500 characters")
        digest = hashlib.sha256(data).hexdigest()
        for call in state.calls.values():
            if call["org_id"] == who.org_id and call.get("sha256") == digest:
                return JSONResponse({"id": call["id"], "status": call["status"]}, 200)
        call = state.add_call(
            who.org_id,
            who.user_id,
            title=str(title) if title else None,
            language=form.get("language"),
            participants=participants,
            sha256=digest,
            size_bytes=len(data),
        )
        state.audio[call["id"]] = data
        return JSONResponse({"id": call["id"], "status": "uploaded"}, 202)

    @app.get("/internal/calls")
    async def list_calls(
        request: Request, who: CurrentIdentity, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        state.list_params.append(dict(request.query_params))
        return _one_page(
            [_public(c) for c in state.calls.values() if _visible(c, who)], limit, cursor
        )

    @app.get("/internal/calls/{call_id}")
    async def get_call(call_id: str, who: CurrentIdentity) -> dict[str, Any]:
        call = state.calls.get(call_id)
        if not _visible(call, who):
            raise not_found("call", call_id)
        assert call is not None
        return _public(call)

    @app.get("/internal/calls/{call_id}/audio")
    async def get_audio(call_id: str, request: Request, who: CurrentIdentity) -> Response:
        call = state.calls.get(call_id)
        if not _visible(call, who):
            raise not_found("call", call_id)
        data = state.audio.get(call_id, b"RIFF fake audio " * 64)
        header = request.headers.get("range")
        if header is None:
            return Response(data, 200, media_type="audio/wav", headers={"accept-ranges": "bytes"})
        match = _RANGE.match(header.strip())
        size = len(data)
        if not match or (not match.group(1) and not match.group(2)):
            raise ApiError(416, "range_not_satisfiable", f"cannot serve range {header!r}")
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
        else:
            start, end = max(0, size - int(match.group(2))), size - 1
        end = min(end, size - 1)
        if start > end:
            raise ApiError(416, "range_not_satisfiable", f"cannot serve range {header!r}")
        return Response(
            data[start : end + 1],
            206,
            media_type="audio/wav",
            headers={"content-range": f"bytes {start}-{end}/{size}", "accept-ranges": "bytes"},
        )

    # --- transcribe and score --------------------------------------------------------
    def _owned(table: dict[str, dict[str, Any]], call_id: str, who: Identity) -> dict[str, Any]:
        item = table.get(call_id)
        if item is None or item.get("org_id") != who.org_id:
            raise not_found("call", call_id)
        return {k: v for k, v in item.items() if k != "org_id"}

    def _conditional(part: dict[str, Any], request: Request) -> Response:
        """As transcribe and score answer a part: with an ETag, 304 when it is current."""
        body = json.dumps(part, sort_keys=True).encode()
        etag = strong_etag(body)
        if matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"etag": etag})
        return Response(body, media_type="application/json", headers={"etag": etag})

    @app.get("/internal/transcripts/{call_id}")
    async def transcript(call_id: str, who: CurrentIdentity, request: Request) -> Response:
        return _conditional(_owned(state.transcripts, call_id, who), request)

    @app.get("/internal/analytics/trends")
    async def trends(who: CurrentIdentity, weeks: int = 12) -> dict[str, Any]:
        """Score scopes the rows by identity; the fake answers with the caller alone."""
        return {
            "weeks": [f"week-{n}" for n in range(weeks)],
            "metrics": [],
            "team": [],
            "reps": [{"user_id": who.user_id, "points": []}],
        }

    @app.get("/internal/scores/{call_id}")
    async def score(call_id: str, who: CurrentIdentity, request: Request) -> Response:
        return _conditional(_owned(state.scores, call_id, who), request)

    @app.put("/internal/scores/{call_id}/roles")
    async def correct_roles(
        call_id: str, who: CurrentIdentity, body: dict[str, Any] = Body()
    ) -> dict[str, Any]:
        item = state.scores.get(call_id)
        if item is None or item.get("org_id") != who.org_id:
            raise not_found("score", call_id)
        item["roles"] = body.get("roles", {})
        return {k: v for k, v in item.items() if k != "org_id"}

    @app.post("/internal/calls/{call_id}/comments", status_code=201)
    async def add_comment(
        call_id: str, who: CurrentIdentity, body: dict[str, Any] = Body()
    ) -> dict[str, Any]:
        """Score's comment, kept as sent (score's own rules are tested in score)."""
        if not _visible(state.calls.get(call_id), who):
            raise not_found("call", call_id)
        comment = {
            "id": str(uuid.uuid4()),
            "call_id": call_id,
            "parent_id": body.get("parent_id"),
            "author_id": who.user_id,
            "at_seconds": body.get("at_seconds", 0),
            "body": body["body"],
            "mentions": [s["user_id"] for s in body["body"]["segments"] if s["type"] == "mention"],
            "created_at": "2026-01-01T00:00:00Z",
            "edited_at": None,
            "deleted": False,
        }
        state.comments.setdefault(call_id, []).append(comment)
        return comment

    @app.get("/internal/calls/{call_id}/comments")
    async def list_comments(call_id: str, who: CurrentIdentity) -> dict[str, Any]:
        if not _visible(state.calls.get(call_id), who):
            raise not_found("call", call_id)
        items = [{**c, "replies": []} for c in state.comments.get(call_id, [])]
        return {"items": items, "next_cursor": None}

    def _score_view(kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """A tracker or scorecard as score shows one (score.service_layer.config)."""
        if kind == "trackers":
            return {
                "name": body.get("name", "tracker"),
                "phrases": body.get("phrases", ["pricing"]),
                "enabled": body.get("enabled", True),
                "said_by": body.get("said_by", "any"),
            }
        items = body.get("items") or [_TEMPLATE_ITEM]
        return {
            "name": body.get("name") or str(body.get("template", "scorecard")).upper(),
            "methodology": body.get("methodology") or body.get("template") or "custom",
            "template": body.get("template"),
            "version": 1,
            "active": bool(body.get("activate")),
            "items": [_full_item(item) for item in items],
        }

    for resource in ("scorecards", "trackers"):

        def _routes(kind: str) -> None:
            table = state.resources.setdefault(kind, {})

            @app.get(f"/internal/{kind}", name=f"list_{kind}")
            async def list_items(
                who: CurrentIdentity, limit: int = 50, cursor: str | None = None
            ) -> dict[str, Any]:
                mine = [
                    {k: v for k, v in item.items() if k != "org_id"}
                    for item in table.values()
                    if item["org_id"] == who.org_id
                ]
                _check_cursor(cursor)
                start = int(cursor) if cursor and cursor.isdigit() else 0
                more = len(mine) > start + limit
                page = {"items": mine[start : start + limit]}
                page["next_cursor"] = str(start + limit) if more else None
                if kind == "scorecards":
                    page |= {"active_scorecard_id": None, "default_template": "meddic"}
                return page

            @app.post(f"/internal/{kind}", status_code=201, name=f"create_{kind}")
            async def create(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
                now = "2026-01-01T00:00:00+00:00"
                item = {
                    "id": str(uuid.uuid4()),
                    **_score_view(kind, body),
                    "created_at": now,
                    "updated_at": now,
                    "org_id": who.org_id,
                }
                table[item["id"]] = item
                return {k: v for k, v in item.items() if k != "org_id"}

            @app.get(f"/internal/{kind}/{{item_id}}", name=f"get_{kind}")
            async def get(item_id: str, who: CurrentIdentity) -> dict[str, Any]:
                return _owned(table, item_id, who)

            @app.put(f"/internal/{kind}/{{item_id}}", name=f"put_{kind}")
            async def put(
                item_id: str,
                who: CurrentIdentity,
                body: dict[str, Any] = Body(),
                rescore: bool = False,
            ) -> dict[str, Any]:
                current = _owned(table, item_id, who)
                changed = {**current, **body}
                if "items" in body:
                    changed["items"] = [_full_item(item) for item in body["items"]]
                table[item_id] = {**changed, "org_id": who.org_id}
                out = _owned(table, item_id, who)
                if kind == "scorecards":
                    out["rescore"] = _rescore_job(item_id, who) if rescore else None
                return out

            @app.delete(f"/internal/{kind}/{{item_id}}", status_code=204, name=f"delete_{kind}")
            async def delete(item_id: str, who: CurrentIdentity) -> Response:
                _owned(table, item_id, who)
                del table[item_id]
                return Response(status_code=204)

        _routes(resource)

    # --- billing ----------------------------------------------------------------------
    @app.get("/internal/plans")
    async def plans(who: CurrentIdentity) -> dict[str, Any]:
        starter = {
            "name": "starter",
            "display_name": "Starter",
            "currency": "usd",
            "seat_price_cents": 0,
            "included_minutes": 600,
            "overage_cents_per_minute": None,
            "default_seats": 5,
            "max_upload_mb": 200,
            "purchasable": True,
            "current": True,
        }
        return {"plans": [starter], "current_plan": "starter", "status": "active"}

    @app.get("/internal/usage")
    async def billing_usage(who: CurrentIdentity) -> dict[str, Any]:
        return {
            "plan": "starter",
            "status": "active",
            "period_start": "2026-01-01T00:00:00+00:00",
            "period_end": "2026-02-01T00:00:00+00:00",
            "minutes_used": 12,
            "minutes_included": 600,
            "minutes_overage": 0,
            "minutes_unreported": 0,
            "calls": 3,
        }

    @app.post("/internal/checkout")
    async def checkout(
        request: Request, who: CurrentIdentity, body: dict[str, Any] = Body()
    ) -> dict[str, Any]:
        if body.get("plan") not in ("starter", "team"):
            raise ApiError(404, "not_found", f"plan {body.get('plan')!r} not found")
        key = request.headers.get("idempotency-key")
        session = f"cs_{hashlib.sha256(key.encode()).hexdigest()[:12]}" if key else None
        state.checkout_keys.append(key)
        return {
            "id": session or f"cs_{uuid.uuid4().hex[:12]}",
            "url": f"https://checkout.example/{who.org_id}/{body['plan']}",
        }

    @app.post("/internal/portal")
    async def portal(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        return {"id": "bps_1", "url": f"https://portal.example/{who.org_id}"}

    @app.post("/internal/webhooks/stripe")
    async def stripe_webhook(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            event = stripe.Webhook.construct_event(
                raw, request.headers.get("stripe-signature", ""), STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise ApiError(400, "invalid_signature", str(exc)) from exc
        state.webhooks.append({"id": event["id"], "raw": raw})
        return {
            "received": True,
            "event_id": event["id"],
            "type": event["type"],
            "outcome": "ignored",
        }

    # --- integrations: outbound webhooks (services/integrations/README.md) ------------
    # Admins and owners only; another organization's ids are 404; a URL naming a
    # private or metadata address is 422 target_refused.
    def _hook_admin(who: Identity) -> None:
        if who.role not in ("owner", "admin"):
            raise ApiError(403, "forbidden", "managing integrations needs the admin role")

    def _hook(who: Identity, hook_id: str) -> dict[str, Any]:
        _hook_admin(who)
        hook = state.outbound.get(hook_id)
        if hook is None or hook["org_id"] != who.org_id:
            raise not_found("webhook", hook_id)
        return hook

    def _hook_public(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k not in ("org_id", "deliveries", "secret")}

    def _check_url(url: str) -> None:
        if re.search(r"//(10\.|127\.|169\.254\.|192\.168\.|\[::1\])", url):
            raise ApiError(422, "target_refused", f"{url} resolves to a private address")

    @app.post("/internal/webhooks", status_code=201)
    async def create_hook(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        _hook_admin(who)
        _check_url(body["url"])
        now = "2026-01-01T00:00:00Z"
        hook = {
            "id": str(uuid.uuid4()),
            "org_id": who.org_id,
            "url": body["url"],
            "event_types": body["event_types"],
            "description": body.get("description", ""),
            "source": "api",
            "enabled": True,
            "created_at": now,
            "updated_at": now,
            "secret": "whsec_" + secrets.token_urlsafe(24),
            "deliveries": [],
        }
        state.outbound[hook["id"]] = hook
        return {**_hook_public(hook), "secret": hook["secret"]}

    @app.get("/internal/webhooks")
    async def list_hooks(
        who: CurrentIdentity, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        _hook_admin(who)
        mine = [_hook_public(h) for h in state.outbound.values() if h["org_id"] == who.org_id]
        return _one_page(mine, limit, cursor)

    @app.get("/internal/webhooks/{hook_id}")
    async def get_hook(hook_id: str, who: CurrentIdentity) -> dict[str, Any]:
        return _hook_public(_hook(who, hook_id))

    @app.patch("/internal/webhooks/{hook_id}")
    async def patch_hook(
        hook_id: str, who: CurrentIdentity, body: dict[str, Any] = Body()
    ) -> dict[str, Any]:
        hook = _hook(who, hook_id)
        if body.get("url"):
            _check_url(body["url"])
        hook.update({k: v for k, v in body.items() if v is not None})
        return _hook_public(hook)

    @app.delete("/internal/webhooks/{hook_id}", status_code=204)
    async def delete_hook(hook_id: str, who: CurrentIdentity) -> Response:
        state.outbound.pop(_hook(who, hook_id)["id"])
        return Response(status_code=204)

    @app.post("/internal/webhooks/{hook_id}/rotate-secret")
    async def rotate_hook(hook_id: str, who: CurrentIdentity) -> dict[str, Any]:
        hook = _hook(who, hook_id)
        hook["secret"] = "whsec_" + secrets.token_urlsafe(24)
        return {"secret": hook["secret"], "previous_valid_until": "2026-01-02T00:00:00Z"}

    @app.get("/internal/webhooks/{hook_id}/deliveries")
    async def hook_deliveries(hook_id: str, who: CurrentIdentity) -> dict[str, Any]:
        return {"items": _hook(who, hook_id)["deliveries"], "next_cursor": None}

    @app.post("/internal/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver", status_code=202)
    async def redeliver_hook(hook_id: str, delivery_id: str, who: CurrentIdentity) -> Any:
        for delivery in _hook(who, hook_id)["deliveries"]:
            if delivery["id"] == delivery_id:
                return {**delivery, "status": "pending"}
        raise not_found("delivery", delivery_id)

    @app.post("/internal/zapier/hooks", status_code=201)
    async def zapier_hook(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        hook = await create_hook(who, {"url": body["hook_url"], "event_types": [body["event"]]})
        state.outbound[hook["id"]]["source"] = "zapier"
        return {"id": hook["id"], "event": body["event"]}

    @app.delete("/internal/zapier/hooks/{hook_id}", status_code=204)
    async def zapier_unhook(hook_id: str, who: CurrentIdentity) -> Response:
        if _hook(who, hook_id)["source"] != "zapier":
            raise not_found("webhook", hook_id)
        state.outbound.pop(hook_id)
        return Response(status_code=204)

    @app.get("/internal/zapier/samples/{event}")
    async def zapier_sample(event: str, who: CurrentIdentity) -> list[dict[str, Any]]:
        _hook_admin(who)
        if event == "privacy.request.completed":
            return [
                {
                    "request_id": "r1",
                    "kind": "erasure",
                    "status": "completed",
                    "subject_type": "user",
                }
            ]
        failed = {"stage": "transcribe", "code": "undecodable_audio", "reason": "no audio"}
        scored = {"overall_score": 72.5, "scorecard": "MEDDIC", "engine": "local", "trackers": []}
        data = failed if event == "call.failed" else scored
        return [{"call_id": "3f1c1e1a", "uploader_id": "user-1", **data, "url": "https://x/c"}]

    # --- integrations: Zoom import (refuses what a real Zoom would have signed) ----------

    @app.post("/internal/zoom/events")
    async def zoom_events(request: Request) -> Response:
        await request.body()
        if not request.headers.get("x-zm-signature"):
            raise ApiError(401, "zoom_signature_invalid", "x-zm-signature is required")
        raise ApiError(401, "zoom_signature_invalid", "x-zm-signature does not match the body")

    @app.get("/internal/zoom")
    async def zoom_status(who: CurrentIdentity) -> dict[str, Any]:
        _hook_admin(who)
        return {"connected": False}

    @app.get("/internal/zoom/imports")
    async def zoom_imports(who: CurrentIdentity) -> dict[str, Any]:
        _hook_admin(who)
        return {"items": [], "next_cursor": None}

    @app.post("/internal/zoom/authorize")
    async def zoom_authorize(who: CurrentIdentity) -> dict[str, Any]:
        _hook_admin(who)
        return {"url": "https://zoom.example/oauth/authorize?state=s"}

    @app.post("/internal/zoom/callback")
    async def zoom_callback(who: CurrentIdentity) -> Response:
        _hook_admin(who)
        raise ApiError(422, "zoom_state_invalid", "this Zoom authorization is unknown")

    @app.post("/internal/zoom/server-to-server")
    async def zoom_s2s(who: CurrentIdentity) -> Response:
        _hook_admin(who)
        raise ApiError(409, "zoom_not_configured", "Zoom is not configured on this server")

    @app.delete("/internal/zoom/connection")
    async def zoom_disconnect(who: CurrentIdentity) -> Response:
        _hook_admin(who)
        raise ApiError(404, "zoom_not_connected", "this organization has not connected Zoom")

    @app.get("/internal/slack/connection")
    async def slack_status(who: CurrentIdentity) -> dict[str, Any]:
        _hook_admin(who)
        return {"connected": who.org_id in state.slack_tokens}

    @app.put("/internal/slack/connection", status_code=204)
    async def slack_connect(who: CurrentIdentity, body: dict[str, Any] = Body()) -> Response:
        _hook_admin(who)
        state.slack_tokens[who.org_id] = body["bot_token"]
        return Response(status_code=204)

    @app.delete("/internal/slack/connection", status_code=204)
    async def slack_disconnect(who: CurrentIdentity) -> Response:
        _hook_admin(who)
        if state.slack_tokens.pop(who.org_id, None) is None:
            raise ApiError(404, "slack_not_connected", "Slack is not connected")
        return Response(status_code=204)

    @app.get("/internal/slack/rules")
    async def slack_rules(
        who: CurrentIdentity, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        _hook_admin(who)
        mine = [r for r in state.slack_rules.values() if r["org_id"] == who.org_id]
        return _one_page(
            [{k: v for k, v in r.items() if k != "org_id"} for r in mine], limit, cursor
        )

    @app.post("/internal/slack/rules", status_code=201)
    async def slack_rule(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        _hook_admin(who)
        if body["kind"] == "score_below" and body.get("threshold") is None:
            raise ApiError(422, "validation_error", "a score_below rule needs a threshold")
        if body["kind"] == "tracker_hit" and body.get("tracker") is None:
            raise ApiError(422, "validation_error", "a tracker_hit rule needs a tracker")
        rule = {
            "id": str(uuid.uuid4()),
            "kind": body["kind"],
            "channel": body["channel"],
            "threshold": body.get("threshold"),
            "tracker": body.get("tracker"),
            "enabled": True,
            "created_at": "2026-01-01T00:00:00Z",
        }
        state.slack_rules[rule["id"]] = {**rule, "org_id": who.org_id}
        return rule

    @app.delete("/internal/slack/rules/{rule_id}", status_code=204)
    async def slack_rule_delete(rule_id: str, who: CurrentIdentity) -> Response:
        _hook_admin(who)
        rule = state.slack_rules.get(rule_id)
        if rule is None or rule["org_id"] != who.org_id:
            raise not_found("Slack rule", rule_id)
        del state.slack_rules[rule_id]
        return Response(status_code=204)

    # --- privacy ----------------------------------------------------------------------
    # Access rules as privacy's (services/privacy/README.md, privacy.domain.access):
    # owners, admins, compliance and ``system`` (the gateway vouching) act for anyone;
    # everyone else only for {type: user, id: <own id>}; erasing the organization is
    # for its owner. A deleted organization gets 403 ``account_deleted``.
    def _is_self(who: Identity, subject: dict[str, Any]) -> bool:
        return (
            subject.get("type") == "user"
            and subject.get("id") == who.user_id
            and subject.get("email") is None
        )

    def _authorize(who: Identity, kind: str, subject: dict[str, Any]) -> None:
        if subject.get("type") == "organization" and kind == "erasure":
            if who.role != "owner":
                raise ApiError(403, "forbidden", "only the owner may erase the organization")
            return
        if who.role in PRIVACY_PRIVILEGED or _is_self(who, subject):
            return
        raise ApiError(403, "forbidden", f"a {who.role} may only make requests about themselves")

    def _ensure_active(who: Identity) -> None:
        if state.accounts.get(who.org_id, {}).get("status", "active") != "active":
            raise ApiError(403, "account_deleted", f"organization {who.org_id} is deleted")

    def _new_request(kind: str, who: Identity, body: dict[str, Any]) -> dict[str, Any]:
        subject = body.get("subject") or {}
        _ensure_active(who)
        _authorize(who, kind, subject)
        item = {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "status": "pending",
            "subject": {"type": subject.get("type"), "id": subject.get("id")},
            "acknowledgements": [],
            "requested_by": who.user_id,
            "org_id": who.org_id,
            "role": who.role,
            "body": body,
        }
        state.requests[item["id"]] = item
        return item

    def _may_read(who: Identity, item: dict[str, Any]) -> bool:
        return (
            who.role in PRIVACY_PRIVILEGED
            or item["requested_by"] == who.user_id
            or _is_self(who, item["body"].get("subject") or {})
        )

    def _request_out(item: dict[str, Any]) -> dict[str, Any]:
        hidden = ("org_id", "body", "role", "bundle", "certificate")
        out = {k: v for k, v in item.items() if k not in hidden}
        ready = item["kind"] == "export" and item["status"] == "completed" and "bundle" in item
        out["download_url"] = f"/internal/requests/{item['id']}/download" if ready else None
        return out

    def _visible_request(request_id: str, who: Identity) -> dict[str, Any]:
        _ensure_active(who)
        item = state.requests.get(request_id)
        if item is None or item["org_id"] != who.org_id or not _may_read(who, item):
            raise not_found("request", request_id)
        return item

    @app.post("/internal/requests/export", status_code=202)
    async def export(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        return {"id": _new_request("export", who, body)["id"]}

    @app.post("/internal/requests/erasure", status_code=202)
    async def erasure(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        return {"id": _new_request("erasure", who, body)["id"]}

    def _flags(kind: str, who: Identity, body: dict[str, Any]) -> dict[str, Any]:
        """privacy's FlagOut: the request id and the subject's flags as they now stand."""
        item = _new_request(kind, who, body)
        return {
            "id": item["id"],
            "subject": item["subject"],
            "restricted": bool(body.get("restricted", False)),
            "objected": bool(body.get("objected", False)),
        }

    @app.post("/internal/restriction", status_code=202)
    async def restriction(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        return _flags("restriction", who, body)

    @app.post("/internal/objection", status_code=202)
    async def objection(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        return _flags("objection", who, body)

    @app.post("/internal/rectification", status_code=202)
    async def rectification(who: CurrentIdentity, body: dict[str, Any] = Body()) -> dict[str, Any]:
        subject = body.get("subject") or {}
        if subject.get("type") not in ("user", "participant"):
            raise ApiError(422, "invalid_subject", "only a user or a participant can be rectified")
        changes = body.get("changes") or {}
        if not changes or set(changes) - {"name", "email"}:
            raise ApiError(422, "validation_error", "changes must name name and/or email")
        item = _new_request("rectification", who, body)
        item["status"] = "completed"
        return {"id": item["id"]}

    @app.get("/internal/requests")
    async def list_requests(
        who: CurrentIdentity, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        _ensure_active(who)
        items = [
            _request_out(r)
            for r in state.requests.values()
            if r["org_id"] == who.org_id and _may_read(who, r)
        ]
        return _one_page(items, limit, cursor)

    @app.get("/internal/requests/{request_id}")
    async def get_request(request_id: str, who: CurrentIdentity) -> dict[str, Any]:
        return _request_out(_visible_request(request_id, who))

    @app.get("/internal/requests/{request_id}/certificate")
    async def certificate(request_id: str, who: CurrentIdentity) -> dict[str, Any]:
        record = _visible_request(request_id, who).get("certificate")
        if record is None:
            raise ApiError(409, "not_completed", f"request {request_id} has no certificate")
        return {
            "request_id": request_id,
            "algorithm": "sha256",
            "digest": record_digest(record),
            "record": record,
            "signature": state.signer.sign(record),
        }

    @app.get("/internal/certificate-key")
    async def certificate_key(who: CurrentIdentity) -> dict[str, Any]:
        return state.signer.public_document()

    @app.get("/internal/requests/{request_id}/download")
    async def download_link(request_id: str, who: CurrentIdentity) -> dict[str, Any]:
        item = _visible_request(request_id, who)
        if item["kind"] != "export":
            raise ApiError(409, "not_an_export", f"request {request_id} is not an export")
        if item["requested_by"] != who.user_id:
            raise ApiError(403, "forbidden", "only the requester may download the export")
        if item["status"] != "completed":
            raise ApiError(409, "export_not_ready", f"export {request_id} is {item['status']}")
        if "bundle" not in item:
            raise ApiError(410, "export_expired", f"export {request_id} was deleted")
        token = secrets.token_urlsafe(32)
        state.download_tokens[token] = (item["id"], who.org_id, who.user_id)
        return {"url": f"/internal/exports/{token}", "expires_at": "2030-01-01T09:15:00+00:00"}

    @app.get("/internal/exports/{token}")
    async def download_export(token: str, who: CurrentIdentity) -> Response:
        grant = state.download_tokens.get(token)
        if grant is None:
            raise ApiError(403, "invalid_download_link", "download link is not valid")
        request_id, org_id, user_id = grant
        if (org_id, user_id) != (who.org_id, who.user_id):
            raise ApiError(403, "forbidden", "this download link was issued to another user")
        bundle: bytes = _visible_request(request_id, who)["bundle"]
        return Response(
            bundle,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="clashtor-export-{request_id}.zip"',
                "Cache-Control": "no-store",
                "X-Content-SHA256": hashlib.sha256(bundle).hexdigest(),
            },
        )

    def _owner_only(who: Identity) -> None:
        if who.role != "owner":
            raise ApiError(403, "forbidden", "only the organization's owner may do this")

    @app.delete("/internal/account", status_code=202)
    async def delete_account(who: CurrentIdentity) -> Response:
        _owner_only(who)
        current = state.accounts.get(who.org_id)
        if current is not None and current["status"] == "deleted":
            return JSONResponse(current, 200)
        state.accounts[who.org_id] = {
            "org_id": who.org_id,
            "status": "deleted",
            "deleted_at": "2030-01-01T09:00:00+00:00",
            "restorable_until": "2030-01-31T09:00:00+00:00",
            "purge_request_id": None,
        }
        return JSONResponse(state.accounts[who.org_id], 202)

    @app.post("/internal/account/restore")
    async def restore_account(who: CurrentIdentity) -> dict[str, Any]:
        _owner_only(who)
        current = state.accounts.get(who.org_id)
        if current is None or current["status"] == "active":
            raise ApiError(409, "not_deleted", f"organization {who.org_id} is not deleted")
        if current["status"] != "deleted":
            raise ApiError(409, "restore_window_closed", "the 30-day window is over")
        state.accounts[who.org_id] = {"org_id": who.org_id, "status": "active"}
        return state.accounts[who.org_id]

    @app.get("/internal/account/status")
    async def account_status(who: CurrentIdentity) -> dict[str, Any]:
        return state.accounts.get(who.org_id) or {"org_id": who.org_id, "status": "active"}

    return app


def sign_stripe_payload(payload: bytes, secret: str = STRIPE_WEBHOOK_SECRET) -> str:
    """A ``Stripe-Signature`` header as Stripe computes it (v1 scheme)."""
    timestamp = int(time.time())
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"
