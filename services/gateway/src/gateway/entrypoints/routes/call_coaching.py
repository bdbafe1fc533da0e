"""``/v1/calls/{id}/comments``, ``/mentionable`` and ``/review``: coaching on a call, owned
by score. The gateway checks mentions against its members and names the people."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Response

from clashtor_common.errors import ApiError
from clashtor_common.pagination import Paging, page_of
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.routes.calls import CallId, visible_call
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    CommentEditIn,
    CommentIn,
    CommentOut,
    OverrideIn,
    PersonOut,
    PersonPage,
    ReviewOut,
    ThreadPage,
)
from gateway.service_layer import call_people

router = APIRouter(prefix="/v1/calls/{call_id}", tags=["calls"], responses=COMMON_ERRORS)
Reader = Annotated[Principal, Depends(require(Action.CALLS_READ))]
Reviewer = Annotated[Principal, Depends(require(Action.COACHING_MANAGE))]
CommentId = Annotated[str, Path(min_length=1, max_length=36)]
ItemKey = Annotated[str, Path(min_length=1, max_length=64)]


def _path(call_id: str, rest: str = "") -> str:
    return f"/internal/calls/{quote(call_id, safe='')}{rest}"


async def _allowed_mentions(gw: Any, principal: Principal, call_id: str, body: Any) -> None:
    call = await visible_call(gw, principal, call_id)
    people = await call_people.mentionable(gw, principal.org_id, str(call.get("uploader_id")))
    call_people.check_mentions(body, people)


@router.get("/comments", response_model=ThreadPage, name="comments_list")
async def list_comments(call_id: CallId, principal: Reader, gw: GatewayDep, page: Paging) -> Any:
    """The call's comment threads by moment, each with its replies; ``next_cursor``
    continues the list."""
    path = _path(call_id, "/comments")
    _, threads = await gw.services.call_json(
        "score", "GET", path, identity=principal.identity(), params=page.params()
    )
    items = await call_people.with_names(gw, principal.org_id, threads.get("items") or [])
    return {"items": items, "next_cursor": threads.get("next_cursor")}


@router.post("/comments", status_code=201, response_model=CommentOut, name="comments_create")
async def add_comment(call_id: CallId, body: CommentIn, principal: Reader, gw: GatewayDep) -> Any:
    """A comment at a moment of the call (``at_seconds``), or a reply (``parent_id``).
    Each mentioned member is notified; only members who may see the call can be mentioned."""
    data = body.model_dump(mode="json", exclude_none=True)
    await _allowed_mentions(gw, principal, call_id, data["body"])
    _, out = await gw.services.call_json(
        "score", "POST", _path(call_id, "/comments"), identity=principal.identity(), json=data
    )
    return (await call_people.with_names(gw, principal.org_id, [out]))[0]


@router.patch("/comments/{comment_id}", response_model=CommentOut, name="comments_update")
async def edit_comment(
    call_id: CallId, comment_id: CommentId, body: CommentEditIn, principal: Reader, gw: GatewayDep
) -> Any:
    """The author rewrites their comment; people newly mentioned are notified."""
    data = body.model_dump(mode="json")
    await _allowed_mentions(gw, principal, call_id, data["body"])
    _, out = await gw.services.call_json(
        "score",
        "PATCH",
        _path(call_id, f"/comments/{quote(comment_id, safe='')}"),
        identity=principal.identity(),
        json=data,
    )
    return (await call_people.with_names(gw, principal.org_id, [out]))[0]


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    response_class=Response,
    name="comments_delete",
)
async def delete_comment(
    call_id: CallId, comment_id: CommentId, principal: Reader, gw: GatewayDep
) -> Response:
    """The author removes their comment (a first comment with replies stays, emptied)."""
    await gw.services.call_json(
        "score",
        "DELETE",
        _path(call_id, f"/comments/{quote(comment_id, safe='')}"),
        identity=principal.identity(),
    )
    return Response(status_code=204)


@router.get("/mentionable", response_model=PersonPage, name="mentionable_list")
async def mentionable(call_id: CallId, principal: Reader, gw: GatewayDep, page: Paging) -> Any:
    """Members who may see the call, so may be mentioned in its comments (by id)."""
    call = await visible_call(gw, principal, call_id)
    people = await call_people.mentionable(gw, principal.org_id, str(call.get("uploader_id")))
    ordered = sorted(people, key=lambda u: u.id)
    shown, next_cursor = page_of(
        ordered, lambda u: (u.id,), (str,), limit=page.limit, cursor=page.cursor
    )
    items = [PersonOut(id=u.id, name=u.name, role=u.role) for u in shown]  # type: ignore[arg-type]
    return PersonPage(items=items, next_cursor=next_cursor)


async def _named_review(gw: Any, principal: Principal, review: Any) -> Any:
    if not isinstance(review, dict):
        raise ApiError(502, "upstream_error", "the score service answered nonsense")
    rows = [*review.get("overrides", []), *review.get("history", [])]
    who = await call_people.names(gw, principal.org_id, [r.get("reviewer_id") for r in rows])
    for r in rows:
        r["reviewer_name"] = who.get(r.get("reviewer_id") or "")
    return review


@router.get("/review", response_model=ReviewOut, name="review_get")
async def get_review(call_id: CallId, principal: Reader, gw: GatewayDep) -> Any:
    """The call's scorecard review: its score with overrides, the automatic score, the
    overrides in force and the audit trail."""
    _, out = await gw.services.call_json(
        "score", "GET", _path(call_id, "/review"), identity=principal.identity()
    )
    return await _named_review(gw, principal, out)


@router.put("/review/items/{item}", response_model=ReviewOut, name="review_override")
async def override_item(
    call_id: CallId, item: ItemKey, body: OverrideIn, principal: Reviewer, gw: GatewayDep
) -> Any:
    """Override one scorecard item's automatic score, with the reason (managers, admins
    and owners; nobody on their own call). The call's score changes everywhere."""
    _, out = await gw.services.call_json(
        "score",
        "PUT",
        _path(call_id, f"/review/items/{quote(item, safe='')}"),
        identity=principal.identity(),
        json=body.model_dump(mode="json"),
    )
    return await _named_review(gw, principal, out)


@router.delete("/review/items/{item}", response_model=ReviewOut, name="review_revert")
async def revert_item(call_id: CallId, item: ItemKey, principal: Reviewer, gw: GatewayDep) -> Any:
    """Back to the automatic score for one item; the override stays in the history."""
    _, out = await gw.services.call_json(
        "score",
        "DELETE",
        _path(call_id, f"/review/items/{quote(item, safe='')}"),
        identity=principal.identity(),
    )
    return await _named_review(gw, principal, out)
