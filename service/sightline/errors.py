"""Domain exceptions. Services raise these; one handler turns each into an RFC 9457 problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    message: str
    type: str = "invalid"


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions: dict[str, Any] = {}  # extra members of the problem document (RFC 9457 section 3.2)


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class Invalid(DomainError):
    """A 422 with field paths. Build with one field or a list of FieldError."""

    status, slug, title = 422, "validation-error", "Validation failed"

    def __init__(
        self,
        field: str | None = None,
        message: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        detail: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.errors = list(errors)
        if field is not None and message is not None:
            self.errors.append(FieldError(tuple(field.split(".")), message))
        summary = detail or "; ".join(f"{'.'.join(map(str, e.loc))}: {e.message}" for e in self.errors)
        super().__init__(summary or "the request is not valid")
        self.extensions = dict(extensions or {})


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "not-ready", "Not ready"
