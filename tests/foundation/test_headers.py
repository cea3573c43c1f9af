"""Security headers on every kind of response, the docs served from the service, no-store where secrets are."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pyotp
from fastapi import FastAPI
from tests.support import Tenant

CLIENT = Path(__file__).resolve().parents[2] / "client"


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in (p.strip() for p in policy.split(";")) if part}


def assert_protected(response: httpx.Response) -> dict[str, str]:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = directives(response)
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: nothing to pin
    return policy


async def test_the_web_app_index(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/")
    built = (CLIENT / "dist" / "index.html").exists()
    assert response.status_code == (200 if built else 503)  # the app, or the page saying it is not built
    assert_protected(response)
    deep_link = await anon.get("/objectives/some-deep-link")
    assert_protected(deep_link)


def test_the_web_app_has_no_inline_script() -> None:
    """script-src 'self' holds only if index.html loads every script from a file."""
    pages = [CLIENT / "index.html", *([CLIENT / "dist" / "index.html"] if (CLIENT / "dist").is_dir() else [])]
    for page in pages:
        html = page.read_text()
        for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S | re.I):
            assert not tag.strip(), f"inline script in {page}"
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html, flags=re.I), f"an inline event handler in {page}"


async def test_an_api_response(tenant: Tenant) -> None:
    response = await tenant.client.get("/api/v1/me")
    assert response.status_code == 200
    assert_protected(response)
    assert response.headers["Cache-Control"] == "no-store"


async def test_problems_and_404s(anon: httpx.AsyncClient) -> None:
    for response in (
        await anon.get("/api/v1/me"),  # 401 problem
        await anon.get("/api/v1/nothing-here"),  # 404 problem
        await anon.post("/api/v1/signup", content=b"{", headers={"content-type": "application/json"}),  # 4xx
        await anon.get("/healthz"),
        await anon.get("/assets/not-a-file.js"),
    ):
        assert_protected(response)
    problem = await anon.get("/api/v1/me")
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.headers["Cache-Control"] == "no-store"


async def test_the_docs_come_from_the_service_under_their_own_policy(anon: httpx.AsyncClient) -> None:
    page = await anon.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = assert_protected(page)
    assert policy["default-src"] == "'none'"
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert policy["connect-src"] == "'self'"  # the OpenAPI document and "try it out", same origin only
    html = page.text
    assert "http://" not in html and "https://" not in html  # no CDN
    assert not [s for s in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S) if s.strip()]
    assets = re.findall(r"(?:src|href)='([^']+)'", html)
    assert len(assets) >= 4
    for asset in assets:
        assert asset.startswith("/api/docs/")
        loaded = await anon.get(asset)
        assert loaded.status_code == 200, asset
        assert_protected(loaded)
    start = await anon.get("/api/docs/start.js")
    assert "/api/v1/openapi.json" in start.text and "validatorUrl: null" in start.text


async def test_https_is_pinned(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.get("/api/docs")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert (await client.get("/")).headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def test_secrets_are_never_stored(app: FastAPI, tenant: Tenant) -> None:
    created = await tenant.client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["read"]})
    assert created.status_code == 201 and created.json()["secret"]
    assert created.headers["Cache-Control"] == "no-store"
    assert_protected(created)
    _, member_id = await tenant.member_client(app, "member")
    generated = await tenant.client.post(f"/api/v1/members/{member_id}/password-reset")
    started = await tenant.client.post("/api/v1/me/mfa/totp")
    confirmed = await tenant.client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(started.json()["secret"]).now()}
    )
    renewed = await tenant.client.post("/api/v1/me/mfa/recovery-codes")
    for shown_once in (generated, started, confirmed, renewed):
        assert shown_once.status_code == 200, shown_once.text
        assert shown_once.headers["Cache-Control"] == "no-store", shown_once.request.url
