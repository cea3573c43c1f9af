"""Forgot password through the API and a real SMTP server: the link in the message is followed."""

from __future__ import annotations

import hashlib
import statistics
import time
import uuid
from datetime import timedelta

import asyncpg
import httpx
from fastapi import FastAPI

from tests.support import PASSWORD, FixedClock, SignUp, Tenant, make_client

from .conftest import Inbox, client_from, deliver, new_email

RESET = "/reset-password"
NEW_PASSWORD = "violet tangerine harbour lamp"


async def _ask(client: httpx.AsyncClient, email: str, **extra: object) -> httpx.Response:
    return await client.post("/api/v1/password-reset", json={"email": email, **extra})


async def _member(tenant: Tenant, email: str | None = None, role: str = "member") -> str:
    address = email or new_email()
    created = await tenant.client.post(
        "/api/v1/members", json={"email": address, "name": "Rosa Reset", "role": role, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    return address


def _dead(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "token"]


async def test_a_reset_link_sets_the_password_once_and_ends_every_session(
    app: FastAPI, tenant: Tenant, inbox: Inbox, stranger: httpx.AsyncClient, owner_connection: asyncpg.Connection
) -> None:
    address = await _member(tenant)
    async with make_client(app) as laptop, make_client(app) as phone:
        for device in (laptop, phone):
            login = await device.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
            assert login.status_code == 200, login.text
        assert (await laptop.get("/api/v1/me")).status_code == 200

        asked = await _ask(stranger, address)
        assert asked.status_code == 202 and asked.content == b""
        assert await deliver(app) >= 1
        assert inbox.to(address)[-1]["Subject"] == "Reset your Sightline password"
        token = inbox.link(address, RESET)
        stored = await owner_connection.fetchval(
            "SELECT r.token_hash FROM password_resets r JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id "
            "WHERE u.email = $1",
            address,
        )
        assert bytes(stored) == hashlib.sha256(token.encode()).digest()  # only the hash is kept

        body = {"token": token, "new_password": NEW_PASSWORD}
        done = await stranger.post("/api/v1/password-reset/confirm", json=body)
        assert done.status_code == 204, done.text
        # Every session of the member ended, on every device.
        for device in (laptop, phone):
            assert (await device.get("/api/v1/me")).status_code == 401
        again = await stranger.post(
            "/api/v1/password-reset/confirm", json={"token": token, "new_password": "another fine password here"}
        )
        _dead(again)

    async with make_client(app) as fresh:
        old = await fresh.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
        assert old.status_code == 401
        new = await fresh.post("/api/v1/auth/login", json={"email": address, "password": NEW_PASSWORD})
        assert new.status_code == 200, new.text
        member_id = new.json()["member"]["id"]
    events = (await tenant.client.get("/api/v1/events", params={"type": "member.password_reset"})).json()["items"]
    assert [e["actor"] for e in events if e["object_id"] == member_id] == [f"user:{member_id}"]


async def test_unknown_and_known_emails_get_the_same_answer(
    app: FastAPI, tenant: Tenant, inbox: Inbox, owner_connection: asyncpg.Connection
) -> None:
    known = [await _member(tenant) for _ in range(5)]
    unknown = [new_email("nobody") for _ in range(5)]
    answers: dict[str, list[tuple[int, bytes, str | None]]] = {"known": [], "unknown": []}
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    async with client_from(app) as client:
        await _ask(client, new_email("warm-up"))
        for pair in zip(known, unknown, strict=True):
            for kind, address in zip(("known", "unknown"), pair, strict=True):
                started = time.perf_counter()
                response = await _ask(client, address)
                timings[kind].append(time.perf_counter() - started)
                answers[kind].append((response.status_code, response.content, response.headers.get("content-type")))
    assert set(answers["known"]) == set(answers["unknown"]) == {(202, b"", None)}
    # Similar timing: the same lookups and counting either way (medians, on a shared machine).
    gap = abs(statistics.median(timings["known"]) - statistics.median(timings["unknown"]))
    assert gap < 0.05, timings
    queued = await owner_connection.fetch(
        "SELECT to_address FROM mail_outbox WHERE kind = 'password_reset' AND to_address = ANY($1::text[])",
        known + unknown,
    )
    assert sorted(r["to_address"] for r in queued) == sorted(known)


async def test_asking_is_throttled_per_email_known_or_not_and_slowed_per_address(
    app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    for address in (await _member(tenant), new_email("nobody")):
        async with client_from(app) as client:
            for _ in range(3):
                assert (await _ask(client, address)).status_code == 202
        async with client_from(app) as elsewhere:  # per email, wherever the asks come from
            refused = await _ask(elsewhere, address)
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0

    # One address asking for many emails is slowed past its limit, never refused.
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"login_address_delay_seconds": 0.3})
    try:
        async with client_from(app) as script:
            for _ in range(20):
                assert (await _ask(script, new_email("many"))).status_code == 202
            started = time.perf_counter()
            slowed = await _ask(script, new_email("many"))
            assert slowed.status_code == 202
            assert time.perf_counter() - started >= 0.3
    finally:
        app.state.settings = saved


async def test_a_link_expires_after_an_hour_and_a_newer_link_replaces_it(
    app: FastAPI, tenant: Tenant, inbox: Inbox, stranger: httpx.AsyncClient, real_now: FixedClock
) -> None:
    address = await _member(tenant)
    assert (await _ask(stranger, address)).status_code == 202
    await deliver(app, real_now.now)
    first = inbox.link(address, RESET)
    assert (await _ask(stranger, address)).status_code == 202
    await deliver(app, real_now.now)
    second = inbox.link(address, RESET)
    assert second != first
    body = {"new_password": NEW_PASSWORD}
    _dead(await stranger.post("/api/v1/password-reset/confirm", json={"token": first, **body}))
    real_now.now += timedelta(hours=1, seconds=1)
    _dead(await stranger.post("/api/v1/password-reset/confirm", json={"token": second, **body}))
    async with make_client(app) as fresh:  # the password did not change
        login = await fresh.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
        assert login.status_code == 200


async def test_one_message_per_organisation_unless_one_is_named(app: FastAPI, signup: SignUp, inbox: Inbox) -> None:
    first, second = await signup("First Org"), await signup("Second Org")
    address = await _member(first)
    await _member(second, address)
    async with client_from(app) as client:
        assert (await _ask(client, address)).status_code == 202
        await deliver(app)
        bodies = [m.get_content() for m in inbox.to(address)]
        assert len(bodies) == 2
        assert any("'First Org'" in b for b in bodies) and any("'Second Org'" in b for b in bodies)
        assert (await _ask(client, address, organisation_id=second.org_id)).status_code == 202
        await deliver(app)
        latest = inbox.to(address)[2:]
        assert len(latest) == 1 and "'Second Org'" in latest[0].get_content()
        # The second organisation's link resets that account only.
        token = inbox.link(address, RESET)
        done = await client.post("/api/v1/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
        assert done.status_code == 204
    async with make_client(app) as fresh:
        one = await fresh.post(
            "/api/v1/auth/login", json={"email": address, "password": NEW_PASSWORD, "organisation_id": second.org_id}
        )
        assert one.status_code == 200, one.text
        other = await fresh.post(
            "/api/v1/auth/login", json={"email": address, "password": PASSWORD, "organisation_id": first.org_id}
        )
        assert other.status_code == 200, other.text


async def test_a_removed_member_gets_nothing_and_an_unknown_token_is_refused(
    app: FastAPI, tenant: Tenant, inbox: Inbox, stranger: httpx.AsyncClient
) -> None:
    address = await _member(tenant)
    member_id = next(
        m["id"] for m in (await tenant.client.get("/api/v1/members")).json()["items"] if m["email"] == address
    )
    assert (await tenant.client.delete(f"/api/v1/members/{member_id}")).status_code == 204
    assert (await _ask(stranger, address)).status_code == 202
    await deliver(app)
    assert inbox.to(address) == []
    unknown = await stranger.post(
        "/api/v1/password-reset/confirm", json={"token": uuid.uuid4().hex, "new_password": NEW_PASSWORD}
    )
    _dead(unknown)
