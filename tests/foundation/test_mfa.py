"""Multi-factor sign-in: TOTP enrolment (QR code, single-use codes, ±1 step), recovery codes, the 202 sign-in and
its second step, and the organisation's requirement for admins and owners."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pyotp
from fastapi import FastAPI
from tests.integrations.oidc_provider import TestProvider, configure, local_idp, provider, to_provider_and_back
from tests.support import PASSWORD, FixedClock, Tenant, _no_server_errors, enrol

from sightline.http.deps import SESSION_COOKIE
from sightline.identity import mfa

__all__ = ["local_idp", "provider"]  # fixtures


def client_from(app: FastAPI, **kwargs: object) -> httpx.AsyncClient:
    """A client of its own address: sign-in throttle counts by address outlive the test."""
    address = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
        **kwargs,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def sign_in(app: FastAPI, email: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.Response]]:
    """A new browser that gave the right password, and the answer it got."""
    async with client_from(app) as client:
        yield client, await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})


async def test_enrolment_shows_a_qr_code_once_and_confirming_turns_totp_on(app: FastAPI, tenant: Tenant) -> None:
    client = tenant.client
    assert (await client.get("/api/v1/me/mfa")).json() == {
        "totp_enabled": False,
        "recovery_codes_left": 0,
        "required": False,
    }
    started = await client.post("/api/v1/me/mfa/totp")
    assert started.status_code == 200
    assert started.headers["cache-control"] == "no-store"
    body = started.json()
    assert body["otpauth_uri"].startswith(f"otpauth://totp/Sightline:{tenant.email.replace('@', '%40')}?")
    assert f"secret={body['secret']}" in body["otpauth_uri"] and "issuer=Sightline" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg") and "</svg>" in body["qr_svg"]
    # A second start replaces the first pending secret.
    again = (await client.post("/api/v1/me/mfa/totp")).json()["secret"]
    assert again != body["secret"]
    stale = await client.post("/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(body["secret"]).now()})
    assert stale.status_code == 422 and stale.json()["errors"][0]["loc"] == ["body", "code"]
    assert (await client.post("/api/v1/me/mfa/totp/confirm", json={"code": "12345"})).status_code == 422

    confirmed = await client.post("/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(again).now()})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert (await client.get("/api/v1/me/mfa")).json() == {
        "totp_enabled": True,
        "recovery_codes_left": 10,
        "required": False,
    }
    events = (await client.get("/api/v1/events", params={"type": "mfa.enrolled"})).json()["items"]
    assert [e["type"] for e in events] == ["mfa.enrolled"]


async def test_secrets_and_recovery_codes_are_not_stored_in_the_clear(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    secret, codes = await enrol(tenant.client)
    row = await owner_connection.fetchrow("SELECT * FROM mfa_totp WHERE user_id = $1", tenant.owner_id)
    assert row["enabled_at"] is not None and secret not in row["secret"]
    stored = await owner_connection.fetch(
        "SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1", tenant.owner_id
    )
    assert len(stored) == 10
    assert not {bytes(r["code_hash"]) for r in stored} & {c.encode() for c in codes}


async def test_enrolment_gives_the_session_a_new_id(app: FastAPI, tenant: Tenant) -> None:
    old = tenant.client.cookies[SESSION_COOKIE]
    await enrol(tenant.client)
    assert tenant.client.cookies[SESSION_COOKIE] != old
    assert (await tenant.client.get("/api/v1/me")).status_code == 200
    async with client_from(app, cookies={SESSION_COOKIE: old}) as stale:
        assert (await stale.get("/api/v1/me")).status_code == 401


async def test_api_keys_cannot_manage_a_second_factor(app: FastAPI, tenant: Tenant) -> None:
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    for method, path in [
        ("GET", "/api/v1/me/mfa"),
        ("POST", "/api/v1/me/mfa/totp"),
        ("DELETE", "/api/v1/me/mfa/totp"),
        ("POST", "/api/v1/me/mfa/recovery-codes"),
    ]:
        assert (await key.request(method, path)).status_code == 403, path


async def test_sign_in_with_totp_takes_two_steps(app: FastAPI, tenant: Tenant) -> None:
    secret, _ = await enrol(tenant.client)
    async with sign_in(app, tenant.email) as (browser, first):
        assert first.status_code == 202
        assert first.json() == {"mfa_required": True, "methods": ["totp", "recovery_code"]}
        assert SESSION_COOKIE not in first.cookies and mfa.PENDING_COOKIE in first.cookies
        assert "httponly" in first.headers["set-cookie"].lower()
        assert (await browser.get("/api/v1/me")).status_code == 401  # no session yet

        wrong = await browser.post("/api/v1/auth/login/mfa", json={"code": "000000"})
        assert wrong.status_code == 401
        done = await browser.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 200, done.text
        assert done.json()["member"]["email"] == tenant.email and done.json()["auth"] == "session"
        assert (await browser.get("/api/v1/me")).status_code == 200

    # The same code again (a replay within its window) is refused.
    async with sign_in(app, tenant.email) as (replay, first):
        assert first.status_code == 202
        again = await replay.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert again.status_code == 401


async def test_codes_of_the_neighbouring_step_count_and_older_ones_do_not(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    secret, _ = await enrol(tenant.client)
    await owner_connection.execute("UPDATE mfa_totp SET last_step = NULL WHERE user_id = $1", tenant.owner_id)
    totp = pyotp.TOTP(secret)
    async with sign_in(app, tenant.email) as (browser, first):
        assert first.status_code == 202
        too_old = await browser.post("/api/v1/auth/login/mfa", json={"code": totp.at(time.time() - 90)})
        assert too_old.status_code == 401
        previous = await browser.post("/api/v1/auth/login/mfa", json={"code": totp.at(time.time() - 30)})
        assert previous.status_code == 200, previous.text
    async with sign_in(app, tenant.email) as (browser, _first):
        # Once a step is used, neither it nor an earlier one works again; a later one does.
        used = await browser.post("/api/v1/auth/login/mfa", json={"code": totp.at(time.time() - 30)})
        assert used.status_code == 401
        later = await browser.post("/api/v1/auth/login/mfa", json={"code": totp.now()})
        assert later.status_code == 200


async def test_a_recovery_code_works_once(app: FastAPI, tenant: Tenant) -> None:
    _, codes = await enrol(tenant.client)
    async with sign_in(app, tenant.email) as (browser, first):
        ok = await browser.post("/api/v1/auth/login/mfa", json={"recovery_code": codes[0].upper()})
        assert ok.status_code == 200, ok.text
    async with sign_in(app, tenant.email) as (browser, first):
        assert first.status_code == 202
        assert (await browser.post("/api/v1/auth/login/mfa", json={"recovery_code": codes[0]})).status_code == 401
        both = await browser.post("/api/v1/auth/login/mfa", json={"recovery_code": codes[1], "code": "123456"})
        assert both.status_code == 422
    assert (await tenant.client.get("/api/v1/me/mfa")).json()["recovery_codes_left"] == 9

    renewed = await tenant.client.post("/api/v1/me/mfa/recovery-codes")
    assert renewed.status_code == 200 and renewed.headers["cache-control"] == "no-store"
    fresh = renewed.json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    async with sign_in(app, tenant.email) as (browser, _first):
        assert (await browser.post("/api/v1/auth/login/mfa", json={"recovery_code": codes[1]})).status_code == 401
        assert (await browser.post("/api/v1/auth/login/mfa", json={"recovery_code": fresh[0]})).status_code == 200


async def test_wrong_codes_count_against_the_account_throttle(app: FastAPI, tenant: Tenant) -> None:
    secret, _ = await enrol(tenant.client)
    async with sign_in(app, tenant.email) as (browser, _first):
        statuses = [
            (await browser.post("/api/v1/auth/login/mfa", json={"code": "000000"})).status_code for _ in range(5)
        ]
        # The password attempt counted too (it is taken back only when the whole sign-in succeeds).
        assert statuses[:4] == [401] * 4 and statuses[4] == 429
        blocked = await browser.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert blocked.status_code == 429 and "retry-after" in blocked.headers


async def test_a_missing_forged_or_expired_pending_sign_in_is_refused(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    clock.now = datetime.now(UTC)
    secret, _ = await enrol(tenant.client)
    async with client_from(app) as nobody:
        assert (await nobody.post("/api/v1/auth/login/mfa", json={"code": "123456"})).status_code == 401
    async with client_from(app, cookies={mfa.PENDING_COOKIE: "forged"}) as forged:
        assert (await forged.post("/api/v1/auth/login/mfa", json={"code": "123456"})).status_code == 401
    # Sealed with the same key but for another purpose (e.g. a single sign-on attempt): refused.
    other = app.state.secret_box.encrypt('{"purpose": "sso", "org_id": "x"}')
    async with client_from(app, cookies={mfa.PENDING_COOKIE: other}) as confused:
        assert (await confused.post("/api/v1/auth/login/mfa", json={"code": "123456"})).status_code == 401
    async with sign_in(app, tenant.email) as (browser, _first):
        clock.now = clock.now + timedelta(minutes=6)
        late = await browser.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert late.status_code == 401


async def test_removing_totp_needs_a_recent_sign_in_and_turns_the_second_step_off(app: FastAPI, tenant: Tenant) -> None:
    await enrol(tenant.client)
    old = tenant.client.cookies[SESSION_COOKIE]
    assert (await tenant.client.delete("/api/v1/me/mfa/totp")).status_code == 204
    assert tenant.client.cookies[SESSION_COOKIE] != old  # a new session id
    async with client_from(app, cookies={SESSION_COOKIE: old}) as stale:
        assert (await stale.get("/api/v1/me")).status_code == 401  # and the old one is dead
    assert (await tenant.client.get("/api/v1/me/mfa")).json() == {
        "totp_enabled": False,
        "recovery_codes_left": 0,
        "required": False,
    }
    async with sign_in(app, tenant.email) as (_browser, first):
        assert first.status_code == 200
    events = (await tenant.client.get("/api/v1/events", params={"type": "mfa.removed"})).json()["items"]
    assert len(events) == 1


async def _require_mfa(client: httpx.AsyncClient, on: bool) -> httpx.Response:
    etag = (await client.get("/api/v1/organisation")).headers["etag"]
    return await client.patch(
        "/api/v1/organisation", json={"settings": {"mfa_required_for_admins": on}}, headers={"If-Match": etag}
    )


async def test_an_organisation_can_require_a_second_factor_of_admins_and_owners(app: FastAPI, tenant: Tenant) -> None:
    admin, _ = await tenant.member_client(app, "admin")
    member, _ = await tenant.member_client(app, "member")
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    refused = await _require_mfa(admin, True)
    assert refused.status_code == 403  # an owner's decision
    turned_on = await _require_mfa(tenant.client, True)
    assert turned_on.status_code == 200 and turned_on.json()["settings"]["mfa_required_for_admins"] is True

    for client in (tenant.client, admin):
        blocked = await client.get("/api/v1/members")
        assert blocked.status_code == 403 and blocked.json()["type"] == "/problems/mfa-enrolment-required"
        assert (await client.post("/api/v1/objectives", json={})).json()["type"] == "/problems/mfa-enrolment-required"
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await client.get("/api/v1/organisation")).status_code == 200
        assert (await client.get("/api/v1/me/mfa")).json()["required"] is True
    # Members and API keys go on as before.
    assert (await member.get("/api/v1/members")).status_code == 200
    assert (await member.get("/api/v1/me/mfa")).json()["required"] is False
    assert (await key.get("/api/v1/members")).status_code == 200

    await enrol(admin)
    assert (await admin.get("/api/v1/members")).status_code == 200
    refused_removal = await admin.delete("/api/v1/me/mfa/totp")
    assert refused_removal.status_code == 403
    assert (await admin.get("/api/v1/me/mfa")).json()["totp_enabled"] is True
    # The owner is still held at the door, until they enrol too.
    assert (await tenant.client.get("/api/v1/members")).status_code == 403
    assert (await tenant.client.post("/api/v1/auth/logout")).status_code == 204


async def test_single_sign_on_also_asks_for_the_second_factor(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    person, _ = await tenant.member_client(app, "member")
    email = (await person.get("/api/v1/me")).json()["member"]["email"]
    secret, _ = await enrol(person)
    await configure(tenant, local_idp, allowed_domains=["example.test"])
    local_idp.user = {"sub": "idp-mfa", "email": email, "email_verified": True, "name": "A member"}
    async with client_from(app) as browser:
        callback, _ = await to_provider_and_back(browser, tenant.org_id)
        answered = await browser.get(callback)
        assert answered.status_code == 303, answered.text
        assert answered.headers["location"] == "/sign-in/mfa?next=%2Fscoreboard"
        assert SESSION_COOKIE not in browser.cookies and mfa.PENDING_COOKIE in browser.cookies
        assert (await browser.get("/api/v1/me")).status_code == 401
        done = await browser.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 200, done.text
        assert (await browser.get("/api/v1/me")).json()["member"]["email"] == email


async def test_an_owner_signed_in_through_single_sign_on_can_still_enrol(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    domain = tenant.email.split("@")[1]
    await configure(tenant, local_idp, allowed_domains=[domain], sso_required=True, owner_sign_in=True)
    local_idp.user = {"sub": "idp-owner", "email": tenant.email, "email_verified": True, "name": "The owner"}
    async with client_from(app) as browser:
        callback, _ = await to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).status_code == 303
        assert (await browser.get("/api/v1/me")).json()["member"]["role"] == "owner"
        secret, codes = await enrol(browser)
        assert len(codes) == 10 and (await browser.get("/api/v1/me/mfa")).json()["totp_enabled"] is True
    # From now on the provider alone does not sign the owner in: the second step follows it.
    async with client_from(app) as browser:
        callback, _ = await to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).headers["location"].startswith("/sign-in/mfa")
        done = await browser.post("/api/v1/auth/login/mfa", json={"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 200, done.text
