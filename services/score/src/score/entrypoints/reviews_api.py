"""``/internal/calls/{id}/comments`` and ``/internal/calls/{id}/review``: coaching on a call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import Paging
from score.domain.reviews import MAX_REASON_CHARS, CommentBody
from score.entrypoints.deps import ContextDep, transaction
from score.service_layer import reviews

router = APIRouter(prefix="/calls/{call_id}", tags=["coaching"])
CallId = Annotated[str, Path(min_length=1, max_length=100)]
CommentId = Annotated[str, Path(min_length=1, max_length=36)]
ItemKey = Annotated[str, Path(min_length=1, max_length=64)]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: CommentBody
    at_seconds: float | None = Field(None, ge=0, le=86_400)
    parent_id: str | None = Field(None, min_length=1, max_length=36)


class CommentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: CommentBody


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=1, description="the item's score, 0 (not met) to 1 (met)")
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


@router.get("/comments")
async def list_comments(
    call_id: CallId, identity: CurrentIdentity, ctx: ContextDep, page: Paging
) -> dict[str, Any]:
    """Threads by moment of the call, each with its replies; ``next_cursor`` continues."""
    async with transaction(ctx) as session:
        return await reviews.list_threads(
            ctx, session, identity, call_id, limit=page.limit, cursor=page.cursor
        )


@router.post("/comments", status_code=201)
async def add_comment(
    call_id: CallId, body: CommentIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    new = reviews.NewComment(body=body.body, at_seconds=body.at_seconds, parent_id=body.parent_id)
    async with transaction(ctx) as session:
        return await reviews.add_comment(ctx, session, identity, call_id, new)


@router.patch("/comments/{comment_id}")
async def edit_comment(
    call_id: CallId,
    comment_id: CommentId,
    body: CommentEdit,
    identity: CurrentIdentity,
    ctx: ContextDep,
) -> dict[str, Any]:
    async with transaction(ctx) as session:
        return await reviews.edit_comment(ctx, session, identity, call_id, comment_id, body.body)


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(
    call_id: CallId, comment_id: CommentId, identity: CurrentIdentity, ctx: ContextDep
) -> Response:
    async with transaction(ctx) as session:
        await reviews.delete_comment(session, identity, call_id, comment_id)
    return Response(status_code=204)


@router.get("/review")
async def get_review(call_id: CallId, identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    async with transaction(ctx) as session:
        return await reviews.review_of(ctx, session, identity, call_id)


@router.put("/review/items/{item}")
async def override_item(
    call_id: CallId, item: ItemKey, body: OverrideIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    async with transaction(ctx) as session:
        return await reviews.override_item(
            ctx, session, identity, call_id, item=item, score=body.score, reason=body.reason
        )


@router.delete("/review/items/{item}")
async def revert_item(
    call_id: CallId, item: ItemKey, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    async with transaction(ctx) as session:
        return await reviews.revert_item(ctx, session, identity, call_id, item)
