"""Comments: write one (or a reply), edit your own (the replaced body is kept), delete your own (admins any).

Locks: an edit or delete holds the comment FOR UPDATE; a reply holds its parent FOR SHARE while it is written,
so a parent deleted at the same moment is either gone before (404) or sees the reply and stays as a tombstone.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.comments import mentions
from sightline.comments.models import Comment, CommentRevision
from sightline.comments.reads import check_target, get_comment, publics
from sightline.comments.schemas import CommentCreate, CommentPublic, CommentUpdate
from sightline.errors import Conflict, Forbidden, Invalid
from sightline.events import service as events
from sightline.versions import if_match_after


def _author(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("comments are written by members; this API key has no member who made it")
    return principal.user_id


async def _event(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    comment_id: UUID,
    now: datetime,
    *,
    before: CommentPublic | None = None,
    after: CommentPublic | None = None,
) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=event_type,
            actor=principal.actor,
            object_type="comment",
            object_id=comment_id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )


async def _check_parent(session: AsyncSession, org_id: UUID, body: CommentCreate) -> None:
    assert body.parent_id is not None
    parent = await get_comment(session, org_id=org_id, comment_id=body.parent_id, share=True)
    if parent.parent_id is not None:
        raise Invalid(
            "body.parent_id",
            f"replies are one level deep: this comment is itself a reply; reply to {parent.parent_id} instead",
        )
    if (parent.target_type, parent.target_id) != (body.target_type, body.target_id):
        raise Invalid("body.parent_id", "the comment replied to is on another target")
    if parent.deleted_at is not None:
        raise Conflict("the comment replied to was deleted; start a new comment instead")


async def create_comment(
    session: AsyncSession, *, principal: Principal, body: CommentCreate, now: datetime
) -> CommentPublic:
    org_id = principal.org_id
    author_id = _author(principal)
    await check_target(session, org_id, body.target_type, body.target_id)
    if body.parent_id is not None:
        await _check_parent(session, org_id, body)
    mentioned = await mentions.resolve(session, org_id, body.body)
    comment = Comment(
        org_id=org_id,
        target_type=body.target_type,
        target_id=body.target_id,
        parent_id=body.parent_id,
        author_id=author_id,
        actor=principal.actor,
        body=body.body,
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    await session.flush()
    await mentions.store(session, org_id, comment.id, mentioned, replace=False)
    public = (await publics(session, org_id=org_id, comments=[comment]))[0]
    await _event(session, principal, "comment.created", comment.id, now, after=public)
    return public


async def update_comment(
    session: AsyncSession,
    *,
    principal: Principal,
    comment_id: UUID,
    body: CommentUpdate,
    if_match: str | None,
    now: datetime,
) -> CommentPublic:
    """A new body for your own comment; the one it replaces is kept as a revision. The same body changes nothing."""
    org_id = principal.org_id
    comment = await get_comment(session, org_id=org_id, comment_id=comment_id, lock=True)
    with if_match_after(if_match, comment.version, required=True):  # a bad body is a 422 even when stale
        mentioned = await mentions.resolve(session, org_id, body.body)
        if comment.deleted_at is not None:
            raise Conflict("the comment was deleted")
        if comment.author_id != principal.user_id:
            raise Forbidden("only its author edits a comment")
    before = (await publics(session, org_id=org_id, comments=[comment]))[0]
    if body.body == comment.body:
        return before
    session.add(
        CommentRevision(
            org_id=org_id,
            comment_id=comment.id,
            version=comment.version,
            body=comment.body,
            written_at=comment.edited_at or comment.created_at,
            replaced_at=now,
            replaced_by=principal.actor,
        )
    )
    comment.body = body.body
    comment.version += 1
    comment.edited_at = comment.updated_at = now
    await session.flush()
    await mentions.store(session, org_id, comment.id, mentioned, replace=True)
    after = (await publics(session, org_id=org_id, comments=[comment]))[0]
    await _event(session, principal, "comment.updated", comment.id, now, before=before, after=after)
    return after


async def _has_replies(session: AsyncSession, org_id: UUID, comment_id: UUID) -> bool:
    statement = select(exists().where(col(Comment.org_id) == org_id, col(Comment.parent_id) == comment_id))
    return bool((await session.execute(statement)).scalar())


async def _tombstone(session: AsyncSession, principal: Principal, comment: Comment, now: datetime) -> None:
    """Keep a comment that replies answer, without its words: body, history and mentions go."""
    org_id = principal.org_id
    await session.execute(
        delete(CommentRevision).where(
            col(CommentRevision.org_id) == org_id, col(CommentRevision.comment_id) == comment.id
        )
    )
    await mentions.store(session, org_id, comment.id, [], replace=True)
    comment.body = ""
    comment.deleted_at = comment.updated_at = now
    comment.deleted_by = principal.actor
    comment.version += 1
    await session.flush()


async def _drop_empty_parent(session: AsyncSession, org_id: UUID, parent_id: UUID) -> None:
    """A tombstone whose last reply went has nothing left to hold together: it goes too."""
    parent = await get_comment(session, org_id=org_id, comment_id=parent_id, lock=True)
    if parent.deleted_at is not None and not await _has_replies(session, org_id, parent.id):
        await session.delete(parent)
        await session.flush()


async def delete_comment(
    session: AsyncSession, *, principal: Principal, comment_id: UUID, if_match: str | None, now: datetime
) -> None:
    """Delete your own comment (admins and owners: any). With replies it stays as a tombstone ("deleted")."""
    org_id = principal.org_id
    comment = await get_comment(session, org_id=org_id, comment_id=comment_id, lock=True)
    with if_match_after(if_match, comment.version, required=True):
        if comment.deleted_at is not None:
            raise Conflict("the comment is already deleted")
        if comment.author_id != principal.user_id and "admin" not in principal.scopes:
            raise Forbidden("only its author or an admin deletes a comment")
    before = (await publics(session, org_id=org_id, comments=[comment]))[0]
    if comment.parent_id is None and await _has_replies(session, org_id, comment.id):
        await _tombstone(session, principal, comment, now)
    else:
        await session.delete(comment)  # its revisions and mentions go with it (ON DELETE CASCADE)
        await session.flush()
        if comment.parent_id is not None:
            await _drop_empty_parent(session, org_id, comment.parent_id)
    await _event(session, principal, "comment.deleted", comment.id, now, before=before)
