"""Row versions as ETags, and the If-Match check every PATCH/DELETE goes through (services call it; the
ETag header itself is `sightline.http.etag`).

Rows carry an integer `version` bumped on each update; the ETag is that version, quoted.

Order of answers (docs/decisions/api-answer-order.md): a request body that is malformed or breaks a rule
answers 422 whatever its If-Match says; only a valid change meets the precondition (428 without If-Match
where it is required, 412 when it is stale). Services wrap their validation in `if_match_after`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sightline.errors import DomainError, Invalid, PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


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


@contextmanager
def if_match_after(if_match: str | None, version: int, *, required: bool) -> Iterator[None]:
    """Check If-Match against `version` (read before the change) once the block has validated the body.

    The block applies the request to the locked row in memory and validates it, without writing: a 422 it
    raises is answered as such, stale ETag or not. Any other refusal inside it (404 of a referenced row, 409)
    comes after the precondition, as before. Nothing is written before the precondition holds: the caller
    bumps the version and flushes after the block.
    """
    try:
        yield
    except Invalid:
        raise
    except DomainError:
        check_if_match(if_match, version, required=required)
        raise
    check_if_match(if_match, version, required=required)
