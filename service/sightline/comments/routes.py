"""HTTP routes of comments: a target's thread, one comment, its edit history; write, edit, delete."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response, status

from sightline.comments import reads, service
from sightline.comments.schemas import CommentCreate, CommentPublic, CommentRevisionPublic, CommentUpdate, TargetType
from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatchRequired, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router

router = api_router(authenticated=True, tags=["comments"])
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get(
    "/comments",
    summary="A target's comments, oldest first; replies are in the list with their parent_id",
    responses=ONE,
)
async def list_comments(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    target_type: Annotated[TargetType, Query(description="What the comments are about")],
    target_id: Annotated[UUID, Query(description="The objective, key result or check-in")],
    parent_id: Annotated[UUID | None, Query(description="Only the replies to this comment")] = None,
) -> Page[CommentPublic]:
    items, cursor = await reads.list_comments(
        session,
        org_id=principal.org_id,
        target_type=target_type,
        target_id=target_id,
        parent_id=parent_id,
        params=paging,
    )
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on an objective, key result or check-in, or reply to a comment; @mentions resolved",
    responses=problem_responses(404, 409),
)
async def create_comment(
    body: CommentCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> CommentPublic:
    comment = await service.create_comment(session, principal=principal, body=body, now=now)
    set_etag(response, comment.version)
    return comment


@router.get("/comments/{comment_id}", summary="Get a comment", responses=ONE)
async def get_comment(comment_id: UUID, principal: Reader, session: DbSession, response: Response) -> CommentPublic:
    comment = await reads.read_comment(session, org_id=principal.org_id, comment_id=comment_id)
    set_etag(response, comment.version)
    return comment


@router.patch(
    "/comments/{comment_id}",
    summary="Edit your own comment (If-Match required); the previous body is kept in its revisions",
    responses=WRITE_ONE,
)
async def update_comment(
    comment_id: UUID,
    body: CommentUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> CommentPublic:
    comment = await service.update_comment(
        session, principal=principal, comment_id=comment_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, comment.version)
    return comment


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your own comment (admins: any; If-Match required); with replies it stays as a tombstone",
    responses=WRITE_ONE,
)
async def delete_comment(
    comment_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatchRequired = None
) -> Response:
    await service.delete_comment(session, principal=principal, comment_id=comment_id, if_match=if_match, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/comments/{comment_id}/revisions",
    summary="The bodies a comment's edits replaced, oldest first, with who edited and when",
    responses=ONE,
)
async def list_revisions(
    comment_id: UUID, principal: Reader, session: DbSession, paging: Paging
) -> Page[CommentRevisionPublic]:
    items, cursor = await reads.list_revisions(session, org_id=principal.org_id, comment_id=comment_id, params=paging)
    return Page(items=items, next_cursor=cursor)
