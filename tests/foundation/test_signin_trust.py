"""Sign-in and sign-up under attack: attempts counted before the password is checked, hashing off the event
loop, sign-ups throttled per client address."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.support import PASSWORD, Tenant, _no_server_errors

from sightline.config import Settings


def _address() -> str:
    """A client address of its own: throttle counts by address outlive the test."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    """`make_client`, from another address (a 5xx still fails the test)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
    )


@dataclass
class Argon2Calls:
    """Every argon2 hash and verify the service runs, with the thread it ran on."""

    verify: int = 0
    hash: int = 0
    threads: set[int] = field(default_factory=set)


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> Argon2Calls:
    calls = Argon2Calls()
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash

    def counting_verify(self: PasswordHasher, *args: object, **kwargs: object) -> bool:
        calls.verify += 1
        calls.threads.add(threading.get_ident())
        return verify(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_hash(self: PasswordHasher, *args: object, **kwargs: object) -> str:
        calls.hash += 1
        calls.threads.add(threading.get_ident())
        return hash_(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    return calls


async def test_forty_concurrent_wrong_passwords_check_at_most_five(
    app: FastAPI, tenant: Tenant, argon2_calls: Argon2Calls
) -> None:
    async with client_from(app, _address()) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/auth/login", json={"email": tenant.email, "password": f"wrong-guess-{i}"})
                for i in range(40)
            )
        )
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {401, 429}
        assert statuses.count(401) <= 5 and statuses.count(429) >= 35
        assert argon2_calls.verify <= 5, f"{argon2_calls.verify} passwords checked for one account"
        # Locked: even the right password is not checked until the window reopens.
        blocked = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert argon2_calls.verify <= 5


async def test_right_password_resets_the_account_and_does_not_use_up_the_address(app: FastAPI, tenant: Tenant) -> None:
    async with client_from(app, _address()) as client:
        for _ in range(4):
            wrong = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "not-it-at-all"})
            assert wrong.status_code == 401
        assert (await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})).is_success
        # The account starts afresh: four more failures are still allowed before the lock.
        for _ in range(4):
            wrong = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "not-it-at-all"})
            assert wrong.status_code == 401
        # Successful sign-ins from one address (an office behind one NAT) never add up to a lock.
        for _ in range(35):
            ok = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
            assert ok.status_code == 200


async def test_password_hashing_runs_off_the_event_loop(
    app: FastAPI, anon: httpx.AsyncClient, argon2_calls: Argon2Calls
) -> None:
    loop_thread = threading.get_ident()
    email = f"off-loop-{uuid.uuid4().hex[:6]}@example.test"
    signed_up = await anon.post(
        "/api/v1/signup", json={"organisation_name": "Loop", "name": "Lou", "email": email, "password": PASSWORD}
    )
    assert signed_up.status_code == 201
    added = await anon.post(
        "/api/v1/members", json={"email": f"m-{email}", "name": "Max", "role": "member", "password": PASSWORD}
    )
    assert added.status_code == 201
    reset = await anon.post(f"/api/v1/members/{added.json()['id']}/password-reset")
    assert reset.status_code == 200
    changed = await anon.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    )
    assert changed.status_code == 204
    async with client_from(app, _address()) as client:
        ok = await client.post("/api/v1/auth/login", json={"email": email, "password": "a brand new passphrase"})
        assert ok.status_code == 200
        wrong = await client.post("/api/v1/auth/login", json={"email": email, "password": "wrong password"})
        assert wrong.status_code == 401
    assert argon2_calls.hash >= 4 and argon2_calls.verify >= 3
    assert loop_thread not in argon2_calls.threads, "argon2 ran on the event loop's thread"


@pytest.fixture
def three_sign_ups_an_hour(app: FastAPI) -> Iterator[None]:
    # By hand: monkeypatch's undo deletes an attribute of starlette's State instead of restoring it.
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"signup_max_per_address": 3})
    yield
    app.state.settings = saved


@pytest.mark.usefixtures("three_sign_ups_an_hour")
async def test_sign_ups_are_throttled_per_client_address(app: FastAPI) -> None:
    address = _address()

    async def sign_up(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(
            "/api/v1/signup",
            json={
                "organisation_name": "Spam Inc",
                "name": "Sam",
                "email": f"spam-{uuid.uuid4().hex[:8]}@example.test",
                "password": PASSWORD,
            },
        )

    async with client_from(app, address) as client:
        for _ in range(3):
            assert (await sign_up(client)).status_code == 201
        refused = await sign_up(client)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600
        assert "sign-ups" in refused.json()["detail"]
    async with client_from(app, _address()) as elsewhere:
        assert (await sign_up(elsewhere)).status_code == 201


def test_sign_up_limit_defaults_to_ten_an_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGHTLINE_SIGNUP_MAX_PER_ADDRESS", raising=False)  # the suite lifts it (conftest.py)
    defaults = Settings()
    assert (defaults.signup_max_per_address, defaults.signup_window_seconds) == (10, 3600)
