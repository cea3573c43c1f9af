"""Tables of comments: the comment, the bodies its edits replaced, the members its body mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, Identity
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _seq() -> Any:
    return Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False))


class Comment(SQLModel, table=True):
    """A comment on an objective, a key result or a check-in; a reply when `parent_id` is set. The table's
    generated foreign-key columns (objective_id, key_result_id, check_in_id) are the database's business."""

    __tablename__ = "comments"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    target_type: str
    target_id: UUID
    parent_id: UUID | None = None
    author_id: UUID
    actor: str
    body: str
    version: int = 1
    seq: int | None = _seq()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    edited_at: datetime | None = _ts(nullable=True)
    deleted_at: datetime | None = _ts(nullable=True)
    deleted_by: str | None = None


class CommentRevision(SQLModel, table=True):
    """A body an edit replaced: the version that had it, when it was written, who replaced it and when."""

    __tablename__ = "comment_revisions"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    comment_id: UUID
    version: int
    body: str
    written_at: datetime = _ts()
    replaced_at: datetime = _ts()
    replaced_by: str
    seq: int | None = _seq()


class CommentMention(SQLModel, table=True):
    __tablename__ = "comment_mentions"
    org_id: UUID = Field(primary_key=True)
    comment_id: UUID = Field(primary_key=True)
    user_id: UUID = Field(primary_key=True)
