"""Cursor pagination at the edge: the page parameters of a list operation and the page it answers.

The keyset itself (cursors, ordering, splitting a page) is `sightline.db.keyset`.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from sightline.db.keyset import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, PageParams

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page")


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, max_length=60, description="`next_cursor` of the previous page")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)
