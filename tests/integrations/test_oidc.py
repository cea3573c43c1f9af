"""OpenID Connect sign-in end to end against a real provider on 127.0.0.1 (authlib's server, RSA-signed tokens).

Nothing is mocked: the browser's hops to the provider are real HTTP requests, the service fetches discovery,
JWKS and tokens from the provider over HTTP, and validates the signed ID token itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from fastapi import FastAPI
from tests.integrations.conftest import LOCAL
from tests.integrations.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    TestProvider,
    local_idp,
    provider,
)
from tests.integrations.oidc_provider import add_member as _member
from tests.integrations.oidc_provider import configure as _configure
from tests.integrations.oidc_provider import email_at as _email
from tests.integrations.oidc_provider import to_provider_and_back as _to_provider_and_back
from tests.support import PASSWORD, FixedClock, Tenant, make_client

__all__ = ["local_idp", "provider"]  # fixtures


async def test_single_sign_on_end_to_end_signs_a_member_in_with_a_session_cookie(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    maria = _email()
    member = await _member(tenant, maria)
    config = await _configure(tenant, local_idp)
    assert config["redirect_uri"] == REDIRECT_URI and "client_secret" not in config
    assert config["owner_sign_in"] is False
    stored = await owner_connection.fetchval(
        "SELECT client_secret_encrypted FROM sso_configs WHERE org_id = $1", uuid.UUID(tenant.org_id)
    )
    sealed = orjson.loads(app.state.secret_box.decrypt(stored))
    assert CLIENT_SECRET not in stored and sealed["client_secret"] == CLIENT_SECRET
    local_idp.user = {"sub": "idp-1", "email": maria.capitalize(), "email_verified": True, "name": "Maria"}

    async with make_client(app) as browser:
        callback, asked = await _to_provider_and_back(browser, tenant.org_id)
        # The request carried state, nonce and a PKCE S256 challenge (authlib's server insisted on them).
        assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
        assert asked["client_id"] == [CLIENT_ID] and asked["redirect_uri"] == [REDIRECT_URI]
        signed_in = await browser.get(callback)
        assert signed_in.status_code == 303, signed_in.text
        assert signed_in.headers["location"] == "/scoreboard"
        assert "sightline_session" in browser.cookies
        me = (await browser.get("/api/v1/me")).json()
    assert (me["member"]["id"], me["member"]["email"], me["auth"]) == (member["id"], maria, "session")
    [token_request] = local_idp.token_requests[-1:]
    assert token_request["grant_type"] == "authorization_code" and len(token_request["code_verifier"]) >= 43
    sessions = await owner_connection.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE user_id = $1", uuid.UUID(member["id"])
    )
    assert sessions == 1


async def test_a_callback_with_a_bad_state_or_from_another_browser_is_rejected(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    maria = _email()
    await _member(tenant, maria)
    await _configure(tenant, local_idp)
    local_idp.user = {"sub": "idp-1", "email": maria, "email_verified": True}
    async with make_client(app) as browser, make_client(app) as other_browser:
        callback, asked = await _to_provider_and_back(browser, tenant.org_id)
        forged = callback.replace(asked["state"][0], "forged-state")
        refused = await browser.get(forged)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "the state does not match this browser's sign-in; start it again"
        # The genuine callback, but in a browser that never started this sign-in (login CSRF).
        elsewhere = await other_browser.get(callback)
        assert elsewhere.status_code == 401 and "another browser" in elsewhere.json()["detail"]
        assert "sightline_session" not in browser.cookies and "sightline_session" not in other_browser.cookies
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_an_id_token_for_another_audience_is_rejected(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    maria = _email()
    await _member(tenant, maria)
    await _configure(tenant, local_idp)
    local_idp.user = {"sub": "idp-1", "email": maria, "email_verified": True}
    local_idp.audience = "some-other-app"
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        refused = await browser.get(callback)
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("the ID token is not valid: invalid_claim")
    assert "aud" in refused.json()["detail"]


async def test_an_expired_id_token_is_rejected(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, clock: FixedClock
) -> None:
    maria = _email()
    await _member(tenant, maria)
    await _configure(tenant, local_idp)
    local_idp.user = {"sub": "idp-1", "email": maria, "email_verified": True}
    clock.now = datetime.now(UTC) + timedelta(hours=2)  # the provider's tokens live one hour
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        refused = await browser.get(callback)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


async def test_an_unknown_email_is_rejected_unless_its_domain_may_create_members(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    await _configure(tenant, local_idp)
    stranger = _email("stranger")
    local_idp.user = {"sub": "idp-2", "email": stranger, "email_verified": True}
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        refused = await browser.get(callback)
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"{stranger} is not a member of this organisation; ask an admin to add you"
    assert await owner_connection.fetchval("SELECT count(*) FROM users WHERE email = $1", stranger) == 0

    # An unverified email of a domain nobody vouched for is refused too.
    local_idp.user = {"sub": "idp-3", "email": "mallory@elsewhere.test"}
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).status_code == 401

    # With automatic members for the allowed domain: created at first sign-in, with the default role.
    await _configure(tenant, local_idp, auto_create_members=True, default_role="viewer")
    local_idp.user = {"sub": "idp-2", "email": stranger, "name": "New Person"}  # no email_verified
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).status_code == 303
        me = (await browser.get("/api/v1/me")).json()
    assert (me["member"]["name"], me["member"]["role"], me["scopes"]) == ("New Person", "viewer", ["read"])
    events = (await tenant.client.get("/api/v1/events", params={"type": "sso.*"})).json()["items"]
    assert [e["type"] for e in events] == ["sso.configured", "sso.configured", "sso.member_provisioned"]


async def test_sso_required_refuses_password_sign_in_to_members_but_not_to_owners(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    maria = _email()
    await _member(tenant, maria)
    await _configure(tenant, local_idp, sso_required=True)
    async with make_client(app) as member, make_client(app) as owner:
        refused = await member.post("/api/v1/auth/login", json={"email": maria, "password": PASSWORD})
        assert refused.status_code == 403
        assert f"/api/v1/auth/sso/start?organisation_id={tenant.org_id}" in refused.json()["detail"]
        assert "sightline_session" not in member.cookies
        allowed = await owner.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert allowed.status_code == 200, allowed.text
    # Members still get in, through the provider.
    local_idp.user = {"sub": "idp-1", "email": maria, "email_verified": True}
    async with make_client(app) as browser:
        callback, _ = await _to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).status_code == 303
    # Removing single sign-on gives passwords back.
    assert (await tenant.client.delete("/api/v1/organisation/sso")).status_code == 204
    async with make_client(app) as member:
        login = await member.post("/api/v1/auth/login", json={"email": maria, "password": PASSWORD})
        assert login.status_code == 200


async def test_sso_settings_are_for_owners_and_checked(app: FastAPI, tenant: Tenant, local_idp: TestProvider) -> None:
    member, _ = await tenant.member_client(app, "member")
    body = {"issuer": local_idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert (await member.put("/api/v1/organisation/sso", json=body)).status_code == 403
    assert (await tenant.client.get("/api/v1/organisation/sso")).status_code == 404
    no_secret = await tenant.client.put("/api/v1/organisation/sso", json={**body, "client_secret": None})
    assert no_secret.status_code == 422
    no_domain = await tenant.client.put("/api/v1/organisation/sso", json={**body, "auto_create_members": True})
    assert no_domain.json()["errors"][0]["loc"] == ["body", "allowed_domains"]
    saved = app.state.webhook_policy
    app.state.webhook_policy = type(LOCAL)()  # the default rules: https only, nothing internal
    try:
        internal = await tenant.client.put("/api/v1/organisation/sso", json=body)
        assert internal.status_code == 422 and internal.json()["errors"][0]["loc"] == ["body", "issuer"]
    finally:
        app.state.webhook_policy = saved
    unknown = await tenant.client.get("/api/v1/auth/sso/start", params={"organisation_id": str(uuid.uuid4())})
    assert unknown.status_code == 404
