"""Pure ASGI middleware: request ids, access log and metrics, body limits, content type, CSRF.

Pure ASGI (not BaseHTTPMiddleware) keeps the per-request overhead small on the hot read paths.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightline.http.problems import problem_response
from sightline.observability import LATENCY, REQUESTS

access_log = structlog.get_logger("sightline.access")
UNSAFE_METHODS = frozenset({b"POST", b"PUT", b"PATCH", b"DELETE"})
JSON_TYPES = ("application/json", "application/merge-patch+json")
# One-click unsubscribe (RFC 8058): mail providers post a form body; the signed token in the URL is the credential.
ONE_CLICK_PATHS = frozenset({"/api/v1/notifications/unsubscribe"})
ONE_CLICK_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "")
# A client's X-Request-ID is kept for correlation only when it is this shape (no log injection, bounded);
# it is never used as the server's own id, which is always generated here.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


# BaseException, not Exception: FastAPI turns any Exception raised while it reads the body into a 400
# "could not parse"; these must reach this middleware to become a 413 or a 408.
class _BodyTooLarge(BaseException):
    pass


class _BodyTimeout(BaseException):
    pass


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout_seconds: float = 30.0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # A client that stalls mid-body (slow loris) gets a 408 instead of holding a worker forever.
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = uuid.uuid4().hex
        client_request_id = _client_request_id(headers.get(b"x-request-id"))
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            rejection = self._reject(scope, headers)
            if rejection is not None:
                await self._send_problem(scope, send_wrapper, *rejection)
            else:
                await self.app(scope, self._guarded_receive(receive), send_wrapper)
        except (_BodyTooLarge, _BodyTimeout) as exc:
            if not status_holder["started"]:
                await self._send_problem(scope, send_wrapper, *self._body_problem(exc))
        finally:
            _record(scope, request_id, client_request_id, status_holder["status"], time.perf_counter() - started)

    def _body_problem(self, exc: BaseException) -> tuple[int, str, str, str]:
        """The problem for a body that broke a bound: too large (413) or too slow (408)."""
        if isinstance(exc, _BodyTooLarge):
            return 413, "payload-too-large", "Request body too large", f"The body exceeds {self.max_body_bytes} bytes."
        return 408, "request-timeout", "Request timeout", "The request body arrived too slowly."

    def _reject(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str, str, str] | None:
        method = scope["method"].encode()
        if method not in UNSAFE_METHODS or not scope["path"].startswith("/api/"):
            return None
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return (
                413,
                "payload-too-large",
                "Request body too large",
                f"The body exceeds {self.max_body_bytes} bytes.",
            )
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        if scope["path"] in ONE_CLICK_PATHS and content_type in ONE_CLICK_TYPES:
            return None  # RFC 8058: a mail provider posts "List-Unsubscribe=One-Click" as a form; a token, no cookie
        if has_body and content_type not in JSON_TYPES:
            return (
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.",
            )
        if b"authorization" not in headers and _cross_site(scope, headers):
            return (
                403,
                "cross-site-request",
                "Cross-site request refused",
                ("Cookie-authenticated writes must come from the same site; use an API key for integrations."),
            )
        return None

    def _guarded_receive(self, receive: Receive) -> Receive:
        received = 0
        body_done = False

        async def guarded() -> Message:
            nonlocal received, body_done
            if body_done:  # later receives only wait for a disconnect: no timeout there
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=self.body_timeout_seconds)
            except TimeoutError as exc:
                raise _BodyTimeout from exc
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
                body_done = not message.get("more_body", False)
            return message

        return guarded

    @staticmethod
    async def _send_problem(scope: Scope, send: Send, status: int, slug: str, title: str, detail: str) -> None:
        response = problem_response(None, status=status, slug=slug, title=title, detail=detail)
        await response(scope, _empty_receive, send)


def _client_request_id(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = value.decode("latin-1")
    return text if CLIENT_REQUEST_ID.fullmatch(text) else None


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


def _cross_site(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """True when the browser tells us this unsafe request comes from another site."""
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.decode("latin-1") not in ("same-origin", "none")
    origin = headers.get(b"origin")
    if origin is None or origin == b"null":
        return origin == b"null"
    host = headers.get(b"host", b"").decode("latin-1")
    return urlsplit(origin.decode("latin-1")).netloc != host


# (method, route, status) → the two series a request adds to: `labels()` takes a lock and builds a key each time.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
# The methods the API answers; any other token a client sends (the HTTP parser accepts dozens) counts as "other",
# so clients cannot add series at will.
LABELLED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _metrics(method: str, template: str, status: int, elapsed: float) -> None:
    series = _SERIES.get((method, template, status))
    if series is None:  # bounded: methods × route templates × statuses
        series = _SERIES[(method, template, status)] = (
            REQUESTS.labels(method, template, str(status)),
            LATENCY.labels(method, template),
        )
    series[0].inc()
    series[1].observe(elapsed)


def _record(scope: Scope, request_id: str, client_request_id: str | None, status: int, elapsed: float) -> None:
    """The request's metrics and its access-log line (the organisation and actor come from the route)."""
    template = getattr(scope.get("route"), "path", None) or "unmatched"
    method = scope["method"] if scope["method"] in LABELLED_METHODS else "other"
    _metrics(method, template, status, elapsed)
    state: dict[str, Any] = scope.get("state", {})
    client = scope.get("client")
    access_log.info(
        "request",
        request_id=request_id,
        client_request_id=client_request_id,
        org_id=state.get("org_id"),
        actor=state.get("actor"),
        client_address=client[0] if client else None,
        method=scope["method"],
        route=template,
        path=scope["path"],
        status=status,
        duration_ms=round(elapsed * 1000, 2),
    )
