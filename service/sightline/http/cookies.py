"""The cookies the service sets (session, single sign-on attempt, pending sign-in): one rule for all of them.

Over HTTPS (as seen through a trusted proxy, SIGHTLINE_TRUSTED_PROXIES) or whenever SIGHTLINE_ENV=production, a
cookie is `__Host-<name>`: Secure, Path=/, no Domain. A browser takes such a cookie only from this very host over
a secure connection, so a sibling subdomain or a network attacker on plain HTTP cannot plant one (cookie
tossing, session fixation). Plain HTTP in development cannot carry Secure, and a browser drops a `__Host-`
cookie without it: there the bare name is used. A secure request reads only the prefixed name, so a bare
cookie planted from elsewhere is never taken for one of ours.
"""

from __future__ import annotations

from fastapi import Request, Response

from sightline.config import Settings

HOST_PREFIX = "__Host-"


def secure_request(request: Request, settings: Settings) -> bool:
    """Whether cookies on this request's response are Secure (and so `__Host-` prefixed)."""
    if settings.env == "production" or settings.cookie_secure == "always":
        return True
    return settings.cookie_secure == "auto" and request.url.scheme == "https"


def cookie_name(name: str, *, secure: bool) -> str:
    return HOST_PREFIX + name if secure else name


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, settings: Settings, max_age: int
) -> None:
    """HttpOnly, SameSite=Lax (sent on a top-level navigation back from an identity provider, not on cross-site
    subrequests), Path=/ (a `__Host-` cookie must have it); Secure and prefixed when the request allows."""
    secure = secure_request(request, settings)
    response.set_cookie(
        cookie_name(name, secure=secure),
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def read_cookie(request: Request, name: str, *, settings: Settings) -> str | None:
    """The cookie's value: only the `__Host-` name on a secure request, either name on plain HTTP."""
    if secure_request(request, settings):
        return request.cookies.get(HOST_PREFIX + name) or None
    return request.cookies.get(name) or request.cookies.get(HOST_PREFIX + name) or None


def delete_cookie(request: Request, response: Response, name: str, *, settings: Settings) -> None:
    """Expire the cookie under the name this request would have set it with (same attributes, or the browser
    keeps it)."""
    secure = secure_request(request, settings)
    response.delete_cookie(cookie_name(name, secure=secure), path="/", secure=secure, httponly=True, samesite="lax")
