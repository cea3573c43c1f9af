"""Shared route parameter aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from sightline.db.keyset import PageParams
from sightline.http.pagination import page_params

IfMatch = Annotated[str | None, Header(description="The ETag you last read; a stale one answers 412")]
Paging = Annotated[PageParams, Depends(page_params)]
