"""Shared route parameter aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from sightline.db.keyset import PageParams
from sightline.http.pagination import page_params

IfMatch = Annotated[str | None, Header(description="The ETag you last read; a stale one answers 412")]
# Where the service answers 428 without If-Match (check_if_match(required=True)); the contract marks it required.
IF_MATCH_REQUIRED = "x-if-match-required"
IfMatchRequired = Annotated[
    str | None,
    Header(
        description="The ETag you last read (required: 428 without it)",
        json_schema_extra={IF_MATCH_REQUIRED: True},
    ),
]
Paging = Annotated[PageParams, Depends(page_params)]
