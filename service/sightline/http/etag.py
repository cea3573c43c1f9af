"""ETags from row versions, and the If-Match check every PATCH/DELETE goes through.

Rows carry an integer `version` bumped on each update; the ETag is that version, quoted.
"""

from __future__ import annotations

from fastapi import Response

from sightline.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int, *, required: bool) -> None:
    """Raise 412 when If-Match names another version, 428 when it is missing and required."""
    if if_match is None:
        if required:
            raise PreconditionRequired("send If-Match with the ETag you last read, so edits never collide")
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and etag(version) not in candidates:
        raise PreconditionFailed(
            f"the resource changed since you read it (current ETag {etag(version)}); reload and retry"
        )
