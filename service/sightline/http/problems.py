"""RFC 9457 problem documents: the one schema and the handlers that produce every error response."""

from __future__ import annotations

from datetime import date as date_
from typing import Any, Literal
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from sightline.db.collisions import COLLISIONS, sqlstate
from sightline.errors import DomainError, FieldError, Invalid
from sightline.http.jsonutil import dumps
from sightline.http.retry import COLLISION_HEADER

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("sightline.errors")


class ProblemFieldError(BaseModel):
    loc: list[str | int] = Field(description='Path to the offending field, e.g. ["body", "items", 3, "value"]')
    message: str
    type: str


class OutsideItem(BaseModel):
    kind: Literal["child_cycle", "milestone_point", "initiative", "check_in"]
    id: UUID = Field(description="Its id (a milestone point's is its key result's)")
    title: str = Field(description="The key result's title for a check-in or milestone point, else its own name")
    date: date_ = Field(
        description="The date that would fall outside (a check-in's day in the organisation's time zone; of a "
        "child cycle or initiative, the one the cycle would have to reach)"
    )
    field: Literal["start_date", "end_date"] = Field(description="The cycle date that would leave it outside")


class Outside(BaseModel):
    total: int = Field(description="How many items in all would fall outside")
    items: list[OutsideItem] = Field(description="The first of them (at most 20): by kind, then date")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URI reference identifying the problem type")
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemFieldError] | None = Field(default=None, description="Field errors (422 only)")
    outside: Outside | None = Field(
        default=None,
        description="A cycle date change refused (422, errors of type cycle_dates_exclude): what it would leave "
        "outside the cycle",
    )


def problem_type(slug: str) -> str:
    return f"/problems/{slug}"


def problem_response(
    request: Request | None,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    if errors is not None:
        body["errors"] = [{"loc": list(e.loc), "message": e.message, "type": e.type} for e in errors]
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)  # an extension member never replaces a standard one
    return Response(dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _status_slug(status: int) -> tuple[str, str]:
    return {
        400: ("bad-request", "Bad request"),
        401: ("unauthorized", "Authentication required"),
        403: ("forbidden", "Not allowed"),
        404: ("not-found", "Not found"),
        405: ("method-not-allowed", "Method not allowed"),
        408: ("request-timeout", "Request timeout"),
        413: ("payload-too-large", "Request body too large"),
        415: ("unsupported-media-type", "Unsupported media type"),
    }.get(status, ("http-error", "HTTP error"))


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return domain_problem(request, exc)


def domain_problem(request: Request, exc: DomainError) -> Response:
    """The answer to a refusal the service raised (the handler's, and the pre-router reads')."""
    errors = exc.errors if isinstance(exc, Invalid) else None
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            request,
            status=400,
            slug="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
        )
    errors = [
        FieldError(tuple(e.get("loc", ())), str(e.get("msg", "invalid")), str(e.get("type", "invalid"))) for e in raw
    ]
    return problem_response(
        request,
        status=422,
        slug=Invalid.slug,
        title=Invalid.title,
        detail="; ".join(f"{'.'.join(map(str, e.loc))}: {e.message}" for e in errors),
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _status_slug(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # list every method the path supports, not just those of the first route
        headers["Allow"] = ", ".join(_allowed_methods(request))
    if exc.status_code == 400 and "parsing the body" in detail:  # undecodable or too deeply nested JSON
        slug, title, detail = "malformed-json", "Malformed JSON", "The request body is not valid JSON."
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        headers=headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "")
    log.exception("unhandled_exception", request_id=request_id, path=request.url.path, exc_type=type(exc).__name__)
    # This response is sent outside the request middleware, so it adds the request id header itself.
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="Something went wrong on our side; quote the request id when reporting it.",
        headers={"X-Request-ID": request_id},
    )


_CONSTRAINT_ANSWERS = {
    "23505": (409, "conflict", "Conflict", "this conflicts with an existing record"),
    # Foreign keys include org_id: a reference to another organisation's row fails like a missing one.
    "23503": (404, "not-found", "Not found", "something this refers to was not found"),
    "23514": (422, Invalid.slug, Invalid.title, "this breaks a rule on the stored data"),
    "22001": (422, Invalid.slug, Invalid.title, "a value is too long"),
    "22003": (422, Invalid.slug, Invalid.title, "a number is out of range"),
    "22007": (422, Invalid.slug, Invalid.title, "a date or time is out of range"),
    "22008": (422, Invalid.slug, Invalid.title, "a date or time is out of range"),
}
_STILL_REFERENCED = (409, "conflict", "Conflict", "this is still in use by other records")


async def _database_refusal(request: Request, exc: Exception) -> Response:
    """The database's own constraints are the last line (e.g. two requests racing for one name): answer
    with the matching 4xx instead of a 500. The answer never names a constraint, table or column, nor
    echoes SQL or key values: those describe the schema and, for a reference, whose row it was."""
    assert isinstance(exc, DBAPIError)
    cause = getattr(exc.orig, "__cause__", None)
    code = sqlstate(exc)
    if code in COLLISIONS:  # nothing was written, try again
        return problem_response(
            request,
            status=503,
            slug="retry",
            title="Please retry",
            detail="the request collided with another one and was rolled back; retry it",
            # Marks the collision for RetryCollisionsMiddleware, which runs the request again (and strips this).
            headers={"Retry-After": "1", COLLISION_HEADER.decode(): "1"},
        )
    answer = _CONSTRAINT_ANSWERS.get(code or "")
    if answer is None:
        return await _unexpected(request, exc)
    if code == "23503" and "still referenced" in str(getattr(cause, "detail", "") or ""):
        answer = _STILL_REFERENCED  # deleting a row others point at, not pointing at a missing one
    status, slug, title, detail = answer
    # The constraint is logged for the operator, never sent to the client.
    log.info(
        "database_refusal",
        request_id=getattr(request.state, "request_id", ""),
        sqlstate=code,
        constraint=getattr(cause, "constraint_name", None),
    )
    return problem_response(request, status=status, slug=slug, title=title, detail=detail)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DBAPIError, _database_refusal)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for a route: each listed status documented with the problem schema."""
    descriptions = {
        400: "Malformed request",
        401: "Not authenticated",
        403: "Not allowed for this credential",
        404: "Not found in your organisation",
        409: "Conflict with the current state",
        412: "If-Match does not match the current ETag",
        413: "Body too large",
        415: "Body is not JSON",
        422: "Validation failed (field paths in `errors`)",
        428: "If-Match required",
        429: "Rate limited (see Retry-After)",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
