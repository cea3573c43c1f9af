"""Sign-in throttling that cannot lock everyone out: past the per-address limit sign-ins are slowed, never
refused, and a right password for an account under its own limit still gets in; only an account's own limit
answers 429 (40 concurrent guesses at one account: tests/foundation/test_signin_trust.py)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from tests.support import PASSWORD, SignUp, _no_server_errors

from sightline.config import Settings
from sightline.identity import throttle
from sightline.identity.throttle import address_delay

DELAY = 0.3  # the base delay in these tests (1 s by default)


def _address() -> str:
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
    )


@pytest.fixture
def short_delay(app: FastAPI) -> Iterator[None]:
    # By hand: monkeypatch's undo deletes an attribute of starlette's State instead of restoring it.
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"login_address_delay_seconds": DELAY})
    yield
    app.state.settings = saved


def _record_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delay the service decides for each sign-in from here on. "Not slowed" is read from this, not from the
    clock: on a loaded machine an unslowed sign-in can take longer than the delay (a wall-clock bound is only
    trusted the other way: a slowed sign-in takes at least its delay)."""
    pauses: list[float] = []

    def recorded(excess: int, *, limit: int, settings: Settings) -> float:
        pause = address_delay(excess, limit=limit, settings=settings)
        pauses.append(pause)
        return pause

    monkeypatch.setattr(throttle, "address_delay", recorded)
    return pauses


async def _timed(client: httpx.AsyncClient, email: str, password: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response, time.perf_counter() - started


@pytest.mark.usefixtures("short_delay")
async def test_thirty_failures_from_one_address_do_not_stop_another_accounts_right_password(
    app: FastAPI, signup: SignUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = await signup("Shared Office")
    pauses = _record_pauses(monkeypatch)
    address = _address()  # an office behind one NAT, with someone guessing at many accounts from it
    async with client_from(app, address) as office:
        for i in range(30):
            wrong, _ = await _timed(office, f"someone-{i}-{uuid.uuid4().hex[:6]}@example.test", "guess guess")
            assert wrong.status_code == 401
        assert pauses == [0.0] * 30  # under the limit: not slowed
        # Past the address's limit: a colleague's right password is slowed a little, and lets them in.
        signed_in, took = await _timed(office, victim.email, PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        assert pauses[-1] == DELAY and took >= DELAY
        assert signed_in.json()["member"]["email"] == victim.email
        # Wrong guesses from there are still checked (401, not 429), and still slowed.
        wrong, took = await _timed(office, f"someone-{uuid.uuid4().hex[:6]}@example.test", "guess guess")
        assert wrong.status_code == 401 and pauses[-1] >= DELAY and took >= DELAY
    async with client_from(app, _address()) as elsewhere:  # other addresses are not slowed at all
        elsewhere_in, _ = await _timed(elsewhere, victim.email, PASSWORD)
        assert elsewhere_in.status_code == 200 and pauses[-1] == 0.0
    assert len(pauses) == 33


@pytest.mark.usefixtures("short_delay")
async def test_concurrent_guesses_past_the_address_limit_are_all_slowed_and_none_refused(app: FastAPI) -> None:
    async with client_from(app, _address()) as client:
        for i in range(30):
            await client.post("/api/v1/auth/login", json={"email": f"fill-{i}@example.test", "password": "guess-1"})
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/login", json={"email": f"nobody-{uuid.uuid4().hex[:8]}@x.test", "password": "guess-1"}
                )
                for _ in range(15)
            )
        )
        took = time.perf_counter() - started
    assert [r.status_code for r in responses] == [401] * 15
    assert took >= DELAY  # counted atomically: none of the fifteen slipped through unslowed


@pytest.mark.usefixtures("short_delay")
async def test_the_account_limit_still_refuses_even_from_a_slowed_address(app: FastAPI, signup: SignUp) -> None:
    tenant = await signup()
    async with client_from(app, _address()) as client:
        for _ in range(5):
            assert (
                await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "not it at all"})
            ).status_code == 401
        refused = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_delay_grows_with_every_further_limits_worth_and_has_a_ceiling() -> None:
    settings = Settings(login_address_delay_seconds=1.0, login_address_max_delay_seconds=10.0)
    assert address_delay(0, limit=30, settings=settings) == 0
    assert address_delay(1, limit=30, settings=settings) == 1.0
    assert address_delay(30, limit=30, settings=settings) == 1.0
    assert address_delay(31, limit=30, settings=settings) == 2.0
    assert address_delay(61, limit=30, settings=settings) == 4.0
    assert address_delay(10_000, limit=30, settings=settings) == 10.0
    defaults = Settings()
    assert (defaults.login_address_delay_seconds, defaults.login_address_max_delay_seconds) == (1.0, 10.0)
