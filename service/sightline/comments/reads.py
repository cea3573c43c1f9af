"""Reading comments: one, a target's thread page by page, an edit history; the API shape of many at once.

Every read is a bounded number of statements whatever the page holds: the page, then the names of the members
its comments mention (one statement for the whole page).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.comments.markdown import mentioned_ids, render
from sightline.comments.models import Comment, CommentMention, CommentRevision
from sightline.comments.schemas import CommentPublic, CommentRevisionPublic, Mention, TargetType
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import NotFound
from sightline.identity.models import User
from sightline.okrs.models import CheckIn, KeyResult, Objective

TARGETS: dict[str, tuple[type[Objective] | type[KeyResult] | type[CheckIn], str]] = {
    "objective": (Objective, "objective"),
    "key_result": (KeyResult, "key result"),
    "check_in": (CheckIn, "check-in"),
}


async def check_target(session: AsyncSession, org_id: UUID, target_type: TargetType, target_id: UUID) -> None:
    """404 naming the target unless the organisation has it (another organisation's id is absent here)."""
    model, what = TARGETS[target_type]
    found = (
        await session.execute(select(exists().where(col(model.org_id) == org_id, col(model.id) == target_id)))
    ).scalar()
    if not found:
        raise NotFound(what)


async def get_comment(
    session: AsyncSession, *, org_id: UUID, comment_id: UUID, lock: bool = False, share: bool = False
) -> Comment:
    """The comment, or 404. `lock`: FOR UPDATE; `share`: FOR SHARE (a reply being written keeps its parent)."""
    if share:
        statement = scoped(Comment, org_id).where(col(Comment.id) == comment_id).with_for_update(read=True)
        comment = (await session.execute(statement)).scalar_one_or_none()
        if comment is None:
            raise NotFound("comment")
        return comment
    return await one_of_org(session, Comment, org_id, comment_id, what="comment", lock=lock)


async def _mentions(session: AsyncSession, org_id: UUID, comment_ids: list[UUID]) -> dict[UUID, dict[UUID, str]]:
    """Per comment: the members it mentions and their current names (one statement)."""
    if not comment_ids:
        return {}
    rows = await session.execute(
        select(col(CommentMention.comment_id), col(User.id), col(User.name))
        .join(User, and_(col(User.org_id) == col(CommentMention.org_id), col(User.id) == col(CommentMention.user_id)))
        .where(col(CommentMention.org_id) == org_id, col(CommentMention.comment_id).in_(comment_ids))
    )
    found: dict[UUID, dict[UUID, str]] = defaultdict(dict)
    for comment_id, user_id, name in rows:
        found[comment_id][user_id] = name
    return found


def comment_public(comment: Comment, names: dict[UUID, str]) -> CommentPublic:
    order = mentioned_ids(comment.body) if names else []
    return CommentPublic(
        id=comment.id,
        target_type=comment.target_type,  # type: ignore[arg-type]
        target_id=comment.target_id,
        parent_id=comment.parent_id,
        author_id=comment.author_id,
        actor=comment.actor,
        body=comment.body,
        body_html=render(comment.body, names) if comment.body else "",
        mentions=[Mention(user_id=user_id, name=names[user_id]) for user_id in order if user_id in names],
        deleted=comment.deleted_at is not None,
        deleted_at=comment.deleted_at,
        edited_at=comment.edited_at,
        version=comment.version,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )


async def publics(session: AsyncSession, *, org_id: UUID, comments: Sequence[Comment]) -> list[CommentPublic]:
    names = await _mentions(session, org_id, [c.id for c in comments if c.deleted_at is None])
    return [comment_public(c, names.get(c.id, {})) for c in comments]


async def read_comment(session: AsyncSession, *, org_id: UUID, comment_id: UUID) -> CommentPublic:
    comment = await get_comment(session, org_id=org_id, comment_id=comment_id)
    return (await publics(session, org_id=org_id, comments=[comment]))[0]


async def list_comments(
    session: AsyncSession,
    *,
    org_id: UUID,
    target_type: TargetType,
    target_id: UUID,
    parent_id: UUID | None,
    params: PageParams,
) -> tuple[list[CommentPublic], str | None]:
    """A target's comments, oldest first, replies in the same list (a reply follows its parent)."""
    await check_target(session, org_id, target_type, target_id)
    statement = scoped(Comment, org_id).where(
        col(Comment.target_type) == target_type, col(Comment.target_id) == target_id
    )
    if parent_id is not None:
        statement = statement.where(col(Comment.parent_id) == parent_id)
    rows = list((await session.execute(paginate(statement, Comment.created_at, Comment.seq, params=params))).scalars())
    page, cursor = page_of(rows, params, lambda c: (c.created_at, c.seq))
    return await publics(session, org_id=org_id, comments=page), cursor


async def list_revisions(
    session: AsyncSession, *, org_id: UUID, comment_id: UUID, params: PageParams
) -> tuple[list[CommentRevisionPublic], str | None]:
    """The bodies a comment's edits replaced, oldest first (the current body is the comment's own)."""
    comment = await get_comment(session, org_id=org_id, comment_id=comment_id)
    statement = scoped(CommentRevision, org_id).where(col(CommentRevision.comment_id) == comment.id)
    rows = list(
        (
            await session.execute(paginate(statement, CommentRevision.replaced_at, CommentRevision.seq, params=params))
        ).scalars()
    )
    page, cursor = page_of(rows, params, lambda r: (r.replaced_at, r.seq))
    return [
        CommentRevisionPublic(
            comment_id=r.comment_id,
            version=r.version,
            body=r.body,
            written_at=r.written_at,
            replaced_at=r.replaced_at,
            replaced_by=r.replaced_by,
        )
        for r in page
    ], cursor
