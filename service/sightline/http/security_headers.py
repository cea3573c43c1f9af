"""Security headers on every response (ASVS 14.4), the web app's, the API's, the docs', errors and 404s alike.

Installed outside every other layer (see `wrap_app`), so even a 500 from Starlette's last-resort handler and
the 413/408 of the request middleware carry them. Pure ASGI: a few header tuples per response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightline.http.idempotency import REVEALS_SECRET

# The web app: its own scripts only (Vite emits no inline script; index.html is checked by a test). Mantine
# writes <style> elements for its CSS variables, hence 'unsafe-inline' for styles only
# (docs/decisions/abuse-content-security-policy.md). Data URLs for images (icons in CSS).
APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# The interactive API docs (/api/docs): Swagger UI from this service (no CDN), its start script a file (no
# inline script), its stylesheet a file; it fetches the OpenAPI document and "try it out" calls same-origin.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
DOCS_PREFIX = "/api/docs"
HSTS = b"max-age=31536000; includeSubDomains"
NO_STORE = b"no-store"
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),  # for browsers without frame-ancestors
]
_REPLACED = {b"content-security-policy", b"x-content-type-options", b"referrer-policy", b"x-frame-options"}


def _no_store(scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
    """API answers are never stored by a browser or a shared cache: they are per credential, and some hold a
    secret shown once (routes marked `reveals_secret`: new API keys, generated passwords, webhook secrets,
    recovery codes, TOTP enrolment). A response that sets a cookie (sign-in, sign-up) neither."""
    path: str = scope["path"]
    if path.startswith("/api/") and not path.startswith(DOCS_PREFIX):
        return True
    if getattr(scope.get("endpoint"), REVEALS_SECRET, False):
        return True
    return any(name == b"set-cookie" for name, _ in headers)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = DOCS_POLICY if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/") else APP_POLICY
        added = [*_COMMON, (b"content-security-policy", policy.encode())]
        # The scheme as uvicorn resolved it (X-Forwarded-Proto only from SIGHTLINE_TRUSTED_PROXIES).
        if scope.get("scheme") == "https":
            added.append((b"strict-transport-security", HSTS))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                if _no_store(scope, headers):
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"pragma")]
                    headers.append((b"cache-control", NO_STORE))
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def wrap_app(app: Any) -> None:
    """Put the headers outside Starlette's whole middleware stack (its ServerErrorMiddleware included)."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build())

    app.build_middleware_stack = build_with_headers
