"""Hostile and malformed requests each get the right 4xx problem document, never a 500 or a trace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.support import PASSWORD, Tenant, make_client

SIGNUP = {"organisation_name": "X", "name": "Y", "email": "y@example.test", "password": PASSWORD}
JSON = {"content-type": "application/json"}

# (id, method, path, request kwargs, status, problem type, authenticated?)
CASES: list[tuple[str, str, str, dict[str, Any], int, str, bool]] = [
    (
        "malformed-json",
        "POST",
        "/api/v1/signup",
        {"content": b'{"organisation_name": ', "headers": JSON},
        400,
        "malformed-json",
        False,
    ),
    (
        "invalid-utf8",
        "POST",
        "/api/v1/signup",
        {"content": b'{"name": "\xff\xfe"}', "headers": JSON},
        400,
        "malformed-json",
        False,
    ),
    ("array-not-object", "POST", "/api/v1/signup", {"json": [SIGNUP]}, 422, "validation-error", False),
    ("empty-json-body", "POST", "/api/v1/signup", {"content": b"", "headers": JSON}, 422, "validation-error", False),
    (
        "wrong-type",
        "POST",
        "/api/v1/signup",
        {"json": {**SIGNUP, "organisation_name": 12}},
        422,
        "validation-error",
        False,
    ),
    ("unknown-field", "POST", "/api/v1/signup", {"json": {**SIGNUP, "is_admin": True}}, 422, "validation-error", False),
    ("missing-field", "POST", "/api/v1/signup", {"json": {"name": "x"}}, 422, "validation-error", False),
    (
        "short-password",
        "POST",
        "/api/v1/signup",
        {"json": {**SIGNUP, "password": "short"}},
        422,
        "validation-error",
        False,
    ),
    (
        "bad-email",
        "POST",
        "/api/v1/signup",
        {"json": {**SIGNUP, "email": "not-an-email"}},
        422,
        "validation-error",
        False,
    ),
    (
        "nul-in-name",
        "POST",
        "/api/v1/signup",
        {"json": {**SIGNUP, "name": "Eve\u0000"}},
        422,
        "validation-error",
        False,
    ),
    (
        "name-too-long",
        "POST",
        "/api/v1/signup",
        {"json": {**SIGNUP, "name": "x" * 201}},
        422,
        "validation-error",
        False,
    ),
    (
        "deeply-nested",
        "POST",
        "/api/v1/signup",
        {"content": b'{"name":' + b"[" * 5000 + b"]" * 5000 + b"}", "headers": JSON},
        400,
        "malformed-json",
        False,
    ),
    (
        "huge-body",
        "POST",
        "/api/v1/signup",
        {"content": b"{" + b" " * 2_000_000 + b"}", "headers": JSON},
        413,
        "payload-too-large",
        False,
    ),
    (
        "text-plain",
        "POST",
        "/api/v1/signup",
        {"content": b"hello", "headers": {"content-type": "text/plain"}},
        415,
        "unsupported-media-type",
        False,
    ),
    (
        "form-encoded",
        "POST",
        "/api/v1/auth/login",
        {"data": {"email": "a@b.cd", "password": "x"}},
        415,
        "unsupported-media-type",
        False,
    ),
    (
        "login-extra-field",
        "POST",
        "/api/v1/auth/login",
        {"json": {"email": "a@b.cd", "password": "x", "x": 1}},
        422,
        "validation-error",
        False,
    ),
    ("unknown-route", "GET", "/api/v1/does-not-exist", {}, 404, "not-found", False),
    ("wrong-method", "DELETE", "/api/v1/me", {}, 405, "method-not-allowed", True),
    ("missing-auth", "GET", "/api/v1/me", {}, 401, "unauthorized", False),
    (
        "basic-auth",
        "GET",
        "/api/v1/me",
        {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
        401,
        "unauthorized",
        False,
    ),
    (
        "unknown-bearer",
        "GET",
        "/api/v1/me",
        {"headers": {"Authorization": "Bearer sl_nope"}},
        401,
        "unauthorized",
        False,
    ),
    ("empty-bearer", "GET", "/api/v1/me", {"headers": {"Authorization": "Bearer "}}, 401, "unauthorized", False),
    ("bad-uuid", "GET", "/api/v1/members/not-a-uuid", {}, 422, "validation-error", True),
    ("unknown-uuid", "GET", "/api/v1/members/00000000-0000-0000-0000-000000000000", {}, 404, "not-found", True),
    ("bad-cursor", "GET", "/api/v1/members?cursor=%%%garbage", {}, 422, "validation-error", True),
    ("limit-zero", "GET", "/api/v1/members?limit=0", {}, 422, "validation-error", True),
    ("limit-too-big", "GET", "/api/v1/members?limit=100000", {}, 422, "validation-error", True),
    ("limit-not-int", "GET", "/api/v1/members?limit=ten", {}, 422, "validation-error", True),
    (
        "bad-scope",
        "POST",
        "/api/v1/api-keys",
        {"json": {"name": "k", "scopes": ["root"]}},
        422,
        "validation-error",
        True,
    ),
    ("no-scopes", "POST", "/api/v1/api-keys", {"json": {"name": "k", "scopes": []}}, 422, "validation-error", True),
    (
        "bad-role",
        "POST",
        "/api/v1/members",
        {"json": {"email": "r@example.test", "name": "R", "role": "god"}},
        422,
        "validation-error",
        True,
    ),
    (
        "threshold-out-of-range",
        "PATCH",
        "/api/v1/organisation",
        {"json": {"settings": {"on_track_gap": 3}}},
        422,
        "validation-error",
        True,
    ),
    (
        "cross-site-cookie-post",
        "POST",
        "/api/v1/members",
        {"json": {"email": "c@example.test", "name": "C"}, "headers": {"Sec-Fetch-Site": "cross-site"}},
        403,
        "cross-site-request",
        True,
    ),
    (
        "foreign-origin-cookie-post",
        "POST",
        "/api/v1/api-keys",
        {"json": {"name": "k", "scopes": ["read"]}, "headers": {"Origin": "https://evil.example"}},
        403,
        "cross-site-request",
        True,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "slug", "authenticated"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_request_gets_problem(
    app: FastAPI,
    tenant: Tenant,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    slug: str,
    authenticated: bool,
) -> None:
    client = tenant.client if authenticated else make_client(app)
    try:
        response = await client.request(method, path, **kwargs)
    finally:
        if not authenticated:
            await client.aclose()
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"/problems/{slug}"
    assert problem["title"]
    assert problem["detail"]
    assert "Traceback" not in response.text
    assert "SELECT" not in response.text
    if status == 422:
        assert problem["errors"], "422 problems carry field errors"
        assert all(isinstance(e["loc"], list) for e in problem["errors"])


async def test_same_origin_cookie_post_is_allowed(tenant: Tenant) -> None:
    response = await tenant.client.post(
        "/api/v1/api-keys",
        json={"name": "k", "scopes": ["read"]},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert response.status_code == 201


async def test_cross_site_is_fine_with_an_api_key(app: FastAPI, tenant: Tenant) -> None:
    client, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    response = await client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["read"]}, headers={"Origin": "https://tool.example"}
    )
    assert response.status_code == 201


async def test_unexpected_error_is_a_500_problem_with_request_id_only(app: FastAPI) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/__boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: SELECT password FROM users")

    app.include_router(router)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/__boom", headers={"X-Request-ID": "req-123"})
    finally:
        app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", "") != "/__boom"]
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    # The server's own id (the client's is only logged as client_request_id), in the body and the header.
    assert response.json()["request_id"] == response.headers["x-request-id"] != "req-123", response.headers
    assert "secret internals" not in response.text
