"""API shapes of comments: what a client sends, the comment as read (Markdown and sanitised HTML), its history."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from sightline.inputs import LongText, StrictInput
from sightline.timestamps import UtcDateTime

MAX_BODY = 10_000  # characters, as LongText
TargetType = Literal["objective", "key_result", "check_in"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


CommentBody = Annotated[
    LongText,
    StringConstraints(min_length=1),
    AfterValidator(_not_blank),
    Field(
        description="Markdown (CommonMark; raw HTML is shown as text), at most 10,000 characters. Mention a member "
        "with `@[Name](user:<member id>)`.",
        examples=["Nice progress, @[Jane Doe](user:7d9f1c2e-8a51-4f0e-9a57-0c3b1a2d4e5f): what moved it?"],
    ),
]


class CommentCreate(StrictInput):
    target_type: TargetType = Field(description="What the comment is about")
    target_id: UUID = Field(description="The objective, key result or check-in; in your organisation")
    body: CommentBody
    parent_id: UUID | None = Field(
        None,
        description="Reply to this comment (on the same target). Replies are one level deep: a reply to a reply "
        "is refused.",
    )


class CommentUpdate(StrictInput):
    body: CommentBody


class Mention(BaseModel):
    user_id: UUID
    name: str = Field(description="The member's current name")


class CommentPublic(BaseModel):
    id: UUID
    target_type: TargetType
    target_id: UUID
    parent_id: UUID | None = Field(description="The comment this one replies to; null for a top-level comment")
    author_id: UUID = Field(description="The member who wrote it (for an API key: the member who made the key)")
    actor: str = Field(description="Who wrote it: `user:<id>` or `api_key:<id>`")
    body: str = Field(description="The Markdown as written; empty once deleted")
    body_html: str = Field(description="The body rendered as sanitised HTML, mentions as `span.mention`")
    mentions: list[Mention] = Field(description="Members of the organisation the body mentions")
    deleted: bool = Field(description="A deleted comment kept, body emptied, because replies answer it")
    deleted_at: UtcDateTime | None
    edited_at: UtcDateTime | None = Field(description="The last edit of the body; null if never edited")
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class CommentRevisionPublic(BaseModel):
    """A body an edit replaced."""

    comment_id: UUID
    version: int = Field(description="The comment's version that had this body")
    body: str
    written_at: UtcDateTime = Field(description="When this body was written")
    replaced_at: UtcDateTime = Field(description="When an edit replaced it")
    replaced_by: str = Field(description="Who edited: `user:<id>` or `api_key:<id>`")
