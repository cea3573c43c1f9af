"""Request budgets per API key, per session and per address, and the invalid-credential throttle."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.support import PASSWORD, Tenant, _no_server_errors

FIELDS = re.compile(r'^"(?P<policy>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def client_from(app: FastAPI, address: str, **kwargs: Any) -> httpx.AsyncClient:
    """A client whose requests come from `address` (each test uses its own: the budgets live per process)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
        **kwargs,
    )


def fresh_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
def limits(app: FastAPI) -> Iterator[None]:
    saved = app.state.settings
    app.state.settings = saved.model_copy(
        update={
            "rate_limit_per_minute": 5,
            "rate_limit_anonymous_per_minute": 3,
            "invalid_credentials_delay_after": 2,
            "invalid_credentials_max_per_address": 4,
        }
    )
    yield
    app.state.settings = saved


async def new_key(tenant: Tenant, scopes: list[str]) -> str:
    response = await tenant.client.post("/api/v1/api-keys", json={"name": "budget", "scopes": scopes})
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


async def test_an_api_key_has_its_budget_with_the_draft_fields(app: FastAPI, tenant: Tenant, limits: None) -> None:
    key, other = await new_key(tenant, ["read"]), await new_key(tenant, ["read"])
    async with client_from(app, fresh_address(), headers={"Authorization": f"Bearer {key}"}) as client:
        for used in range(1, 6):
            response = await client.get("/api/v1/cycles")
            assert response.status_code == 200
            assert response.headers["RateLimit-Policy"] == '"default";q=5;w=60'
            fields = FIELDS.match(response.headers["RateLimit"])
            assert fields and fields["policy"] == "default" and int(fields["r"]) == 5 - used
            assert 1 <= int(fields["t"]) <= 60
        refused = await client.get("/api/v1/cycles")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert FIELDS.match(refused.headers["RateLimit"])["r"] == "0"  # type: ignore[index]
        # Another key of the same organisation, from the same address, has its own budget.
        fine = await client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {other}"})
        assert fine.status_code == 200


async def test_a_session_has_its_budget(app: FastAPI, tenant: Tenant, limits: None) -> None:
    async with client_from(app, fresh_address()) as client:
        login = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        statuses = [(await client.get("/api/v1/me")).status_code for _ in range(6)]
        assert statuses.count(429) >= 1 and statuses[0] == 200
        refused = await client.get("/api/v1/me")
        assert refused.status_code == 429 and "Retry-After" in refused.headers


async def test_requests_without_a_credential_are_budgeted_per_address(app: FastAPI, limits: None) -> None:
    address = fresh_address()
    async with client_from(app, address) as client, client_from(app, fresh_address()) as neighbour:
        for _ in range(3):
            response = await client.get("/api/v1/openapi.json")
            assert response.status_code == 200
            assert response.headers["RateLimit-Policy"] == '"anonymous";q=3;w=60'
        refused = await client.post("/api/v1/auth/login", json={"email": "a@example.test", "password": "x" * 12})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert (await neighbour.get("/api/v1/openapi.json")).status_code == 200


async def test_invalid_bearer_tokens_slow_down_then_get_429(app: FastAPI, tenant: Tenant, limits: None) -> None:
    known, unused = await new_key(tenant, ["read"]), await new_key(tenant, ["read"])
    address = fresh_address()
    async with client_from(app, address) as client:
        assert (await client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {known}"})).status_code == 200
        timings = []
        for attempt in range(4):
            started = time.monotonic()
            response = await client.get("/api/v1/cycles", headers={"Authorization": f"Bearer sl_guess{attempt}"})
            timings.append(time.monotonic() - started)
            assert response.status_code == 401
            assert "RateLimit" not in response.headers  # a dead credential has no budget
        assert max(timings[:2]) < 0.4  # the first ones are answered at once
        assert timings[2] >= 0.45 and timings[3] >= 0.95  # then each waits longer

        started = time.monotonic()
        blocked = await client.get("/api/v1/cycles", headers={"Authorization": "Bearer sl_guess-more"})
        assert blocked.status_code == 429 and time.monotonic() - started < 0.4
        assert int(blocked.headers["Retry-After"]) > 60
        # A key this address already used keeps working; one it never used waits like a guess.
        assert (await client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {known}"})).status_code == 200
        assert (await client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {unused}"})).status_code == 429
    # Other addresses are not affected.
    async with client_from(app, fresh_address()) as other:
        assert (await other.get("/api/v1/cycles", headers={"Authorization": "Bearer sl_typo"})).status_code == 401


async def test_invalid_session_cookies_count_too(app: FastAPI, limits: None) -> None:
    async with client_from(app, fresh_address()) as client:
        for attempt in range(4):
            client.cookies.set("sightline_session", f"forged-{attempt}")
            assert (await client.get("/api/v1/me")).status_code == 401
        client.cookies.set("sightline_session", "forged-again")
        assert (await client.get("/api/v1/me")).status_code == 429


async def test_wrong_passwords_are_left_to_the_sign_in_throttle(app: FastAPI, tenant: Tenant, limits: None) -> None:
    """A 401 for a wrong password is not an invalid credential: a stale cookie on the sign-in page is no guess."""
    async with client_from(app, fresh_address()) as client:
        login = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert login.status_code == 200
        for _ in range(3):
            wrong = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "not it at all"})
            assert wrong.status_code == 401
        assert (await client.get("/api/v1/me")).status_code in (200, 429)  # budget, never the guess throttle
        assert (await client.get("/api/v1/me")).headers.get("RateLimit-Policy") == '"default";q=5;w=60'


async def test_pages_of_the_web_app_are_not_budgeted(app: FastAPI, limits: None) -> None:
    async with client_from(app, fresh_address()) as client:
        for _ in range(5):
            response = await client.get("/healthz")
            assert response.status_code == 200 and "RateLimit" not in response.headers
