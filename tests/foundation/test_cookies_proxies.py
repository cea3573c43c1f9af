"""Cookies and trusted proxies: `__Host-` prefixed and Secure over HTTPS (as seen through a trusted proxy) or in
production, the bare name on plain HTTP in development; forwarded headers believed from SIGHTLINE_TRUSTED_PROXIES
only (a live `sightline serve`, so uvicorn's own handling is what is tested)."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from tests.foundation.test_compose import _compose
from tests.integrations.oidc_provider import TestProvider, local_idp, provider
from tests.integrations.oidc_provider import configure as configure_sso
from tests.support import PASSWORD, SIGHTLINE, Tenant, _no_server_errors, free_port, wait_ready

from sightline.cli import proxy_options
from sightline.config import Settings

__all__ = ["local_idp", "provider"]  # fixtures


def _client(app: FastAPI, scheme: str = "http", address: str = "192.0.2.10") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)),
        base_url=f"{scheme}://testserver",
        event_hooks={"response": [_no_server_errors]},
    )


def _set_cookie(response: httpx.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


async def _sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def production(app: FastAPI) -> Iterator[None]:
    saved = app.state.settings  # by hand: monkeypatch's undo deletes the attribute of starlette's State
    app.state.settings = saved.model_copy(update={"env": "production"})
    yield
    app.state.settings = saved


async def test_over_https_the_session_cookie_is_host_prefixed_and_secure(app: FastAPI, tenant: Tenant) -> None:
    async with _client(app, "https") as browser:
        header = _set_cookie(await _sign_in(browser, tenant.email), "__Host-sightline_session")
        assert {"secure", "httponly", "path", "samesite"} <= _attributes(header) and "domain" not in _attributes(header)
        assert "Path=/;" in header + ";" and "samesite=lax" in header.lower()
        assert (await browser.get("/api/v1/me")).status_code == 200
        token = browser.cookies["__Host-sightline_session"]
        out = await browser.post("/api/v1/auth/logout")
        assert out.status_code == 204
        expired = _set_cookie(out, "__Host-sightline_session")
        assert "max-age=0" in expired.lower() and "secure" in _attributes(expired)
    # Over HTTPS only the prefixed name counts: a bare cookie (planted from a sibling subdomain) is ignored.
    async with _client(app, "https") as planted, _client(app, "https") as again:
        fresh = (await _sign_in(again, tenant.email)).cookies["__Host-sightline_session"]
        assert token != fresh
        planted.cookies.set("sightline_session", fresh)
        assert (await planted.get("/api/v1/me")).status_code == 401
        planted.cookies.set("__Host-sightline_session", fresh)
        assert (await planted.get("/api/v1/me")).status_code == 200


async def test_plain_http_in_development_keeps_the_bare_name_without_secure(app: FastAPI, tenant: Tenant) -> None:
    async with _client(app, "http") as browser:
        response = await _sign_in(browser, tenant.email)
        assert not any(h.startswith("__Host-") for h in response.headers.get_list("set-cookie"))
        header = _set_cookie(response, "sightline_session")
        assert "secure" not in _attributes(header) and {"httponly", "path"} <= _attributes(header)
        assert (await browser.get("/api/v1/me")).status_code == 200


@pytest.mark.usefixtures("production")
async def test_production_always_marks_cookies_secure(app: FastAPI, tenant: Tenant) -> None:
    async with _client(app, "http") as browser:  # behind a proxy that says nothing about the scheme
        response = await _sign_in(browser, tenant.email)
        header = _set_cookie(response, "__Host-sightline_session")
        assert "secure" in _attributes(header)
        assert not any(h.startswith("sightline_session=") for h in response.headers.get_list("set-cookie"))


async def test_the_sso_attempt_cookie_follows_the_same_rule(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    await configure_sso(tenant, local_idp)
    for scheme, name, secure in (("https", "__Host-sightline_sso", True), ("http", "sightline_sso", False)):
        async with _client(app, scheme) as browser:
            started = await browser.get("/api/v1/auth/sso/start", params={"organisation_id": tenant.org_id})
            assert started.status_code == 302, started.text
            header = _set_cookie(started, name)
            assert ("secure" in _attributes(header)) is secure and "Path=/;" in header + ";"


def test_trusted_proxies_setting_and_the_old_switch() -> None:
    assert Settings().trusted_proxies == []
    assert Settings(trusted_proxies="10.0.0.5, 172.18.0.0/16").trusted_proxies == ["10.0.0.5", "172.18.0.0/16"]
    assert Settings(trust_forwarded_for=True).trusted_proxies == ["127.0.0.1", "::1"]  # what it meant before
    with pytest.raises(ValidationError, match="CIDR"):
        Settings(trusted_proxies="proxy.internal")
    with pytest.raises(ValidationError, match="production"):
        Settings(env="production", cookie_secure="never")
    assert proxy_options(Settings()) == {"proxy_headers": False}  # uvicorn alone would trust 127.0.0.1
    assert proxy_options(Settings(trusted_proxies="10.1.2.3/8,::1")) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.0/8,::1",
    }


def test_compose_passes_the_trusted_proxies_and_trusts_none_by_default() -> None:
    api = _compose()["services"]["api"]["environment"]
    assert api["SIGHTLINE_TRUSTED_PROXIES"] == "${SIGHTLINE_TRUSTED_PROXIES:-}"


@pytest.fixture
def served(database_url: str) -> Iterator[str]:
    """`sightline serve` believing forwarded headers from 127.0.0.1 only."""
    port = free_port()
    env = {
        **os.environ,
        "SIGHTLINE_DATABASE_URL": database_url,
        "SIGHTLINE_PORT": str(port),
        "SIGHTLINE_HOST": "127.0.0.1",
        "SIGHTLINE_BUILD_CLIENT": "false",
        "SIGHTLINE_WORKER_IN_PROCESS": "false",
        "SIGHTLINE_TRUSTED_PROXIES": "127.0.0.1",
        "SIGHTLINE_LOG_LEVEL": "WARNING",
    }
    env.pop("SIGHTLINE_MIGRATION_DATABASE_URL", None)
    process = subprocess.Popen(
        [SIGHTLINE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_ready(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _from(source: str, base: str) -> httpx.AsyncClient:
    """A client whose connections come from `source` (any 127.x address reaches the server on 127.0.0.1)."""
    return httpx.AsyncClient(base_url=base, transport=httpx.AsyncHTTPTransport(local_address=source))


async def _throttle_keys(owner_connection: asyncpg.Connection, *addresses: str) -> set[str]:
    rows = await owner_connection.fetch(
        "SELECT key FROM auth_throttle WHERE key = ANY($1::text[])", [f"addr:{a}" for a in addresses]
    )
    return {row["key"] for row in rows}


async def test_forwarded_headers_count_only_from_a_trusted_proxy(
    served: str, owner_connection: asyncpg.Connection
) -> None:
    real, forged = f"203.0.113.{uuid.uuid4().int % 200 + 1}", f"198.51.100.{uuid.uuid4().int % 200 + 1}"
    body: dict[str, Any] = {
        "organisation_name": "Proxied Co",
        "name": "Pat Proxy",
        "email": f"pat-{uuid.uuid4().hex[:8]}@example.test",
        "password": PASSWORD,
    }
    # Through the proxy (127.0.0.1, trusted): the client's address and scheme are the forwarded ones.
    async with _from("127.0.0.1", served) as proxy:
        headers = {"X-Forwarded-For": real, "X-Forwarded-Proto": "https"}
        signed_up = await proxy.post("/api/v1/signup", json=body, headers=headers)
        assert signed_up.status_code == 201, signed_up.text
        header = _set_cookie(signed_up, "__Host-sightline_session")
        assert "secure" in _attributes(header)
        address = await owner_connection.fetchval(
            "SELECT client_address FROM auth_sessions WHERE user_id = $1", uuid.UUID(signed_up.json()["member"]["id"])
        )
        assert address == real
        wrong = await proxy.post(
            "/api/v1/auth/login", json={"email": body["email"], "password": "not the password"}, headers=headers
        )
        assert wrong.status_code == 401
    # Straight from elsewhere (127.0.0.2, not trusted): the same headers are ignored.
    async with _from("127.0.0.2", served) as direct:
        headers = {"X-Forwarded-For": forged, "X-Forwarded-Proto": "https"}
        wrong = await direct.post(
            "/api/v1/auth/login", json={"email": body["email"], "password": "not the password"}, headers=headers
        )
        assert wrong.status_code == 401
        signed_in = await direct.post(
            "/api/v1/auth/login", json={"email": body["email"], "password": PASSWORD}, headers=headers
        )
        assert signed_in.status_code == 200
        header = _set_cookie(signed_in, "sightline_session")  # plain HTTP, as it really was
        assert "secure" not in _attributes(header)
    assert await _throttle_keys(owner_connection, real, forged, "127.0.0.2") == {f"addr:{real}", "addr:127.0.0.2"}
