"""The ETag header of a response: the row's version, quoted (`sightline.versions`, with the If-Match check)."""

from __future__ import annotations

from fastapi import Response

from sightline.versions import etag


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)
