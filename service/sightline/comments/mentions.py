"""Mentions: which members a body names, resolved in the organisation, kept per comment.

A mention names a member by id (`@[Name](user:<uuid>)`, docs/decisions/comments-mention-syntax.md). It counts
when the id is an active member of the comment's organisation; an id from another organisation, a removed
member or no member at all stays plain text, and nobody learns which of these it was.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.comments.markdown import mentioned_ids
from sightline.comments.models import CommentMention
from sightline.errors import Invalid
from sightline.identity.models import User

MAX_MENTIONS = 50  # distinct members one comment may mention


async def resolve(session: AsyncSession, org_id: UUID, body: str) -> list[UUID]:
    """The active members of the organisation the body mentions, in order of first mention (one statement)."""
    candidates = mentioned_ids(body)
    if len(candidates) > MAX_MENTIONS:
        raise Invalid("body.body", f"mentions {len(candidates)} people; at most {MAX_MENTIONS} in one comment")
    if not candidates:
        return []
    found = set(
        (
            await session.execute(
                select(col(User.id)).where(
                    col(User.org_id) == org_id, col(User.id).in_(candidates), col(User.deactivated_at).is_(None)
                )
            )
        ).scalars()
    )
    return [user_id for user_id in candidates if user_id in found]


async def store(session: AsyncSession, org_id: UUID, comment_id: UUID, user_ids: list[UUID], *, replace: bool) -> None:
    """Keep the comment's mentions (replacing those of its previous body)."""
    if replace:
        await session.execute(
            delete(CommentMention).where(
                col(CommentMention.org_id) == org_id, col(CommentMention.comment_id) == comment_id
            )
        )
    if user_ids:
        await session.execute(
            insert(CommentMention),
            [{"org_id": org_id, "comment_id": comment_id, "user_id": user_id} for user_id in user_ids],
        )
