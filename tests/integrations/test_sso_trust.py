"""Single sign-on's trust holes, attacked through the HTTP API against the real test provider.

An admin must not take over the provider's settings (whoever controls them signs in as anyone), single sign-on
must not sign anyone in as the owner unless an owner allowed it, an email counts as verified only on the JSON
boolean true, an email the provider keeps out of the ID token is read from UserInfo (about the same subject
only), and members created at sign-in never get more than the configured default role.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.integrations.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    TestProvider,
    add_member,
    configure,
    email_at,
    local_idp,
    provider,
    to_provider_and_back,
)
from tests.support import PASSWORD, Tenant, make_client

__all__ = ["local_idp", "provider"]  # fixtures


async def _sign_in(app: FastAPI, tenant: Tenant) -> tuple[httpx.Response, dict[str, Any] | None]:
    """A browser's whole single sign-on; the callback's answer and, when signed in, GET /me."""
    async with make_client(app) as browser:
        callback, _ = await to_provider_and_back(browser, tenant.org_id)
        answer = await browser.get(callback)
        if answer.status_code != 303:
            assert "sightline_session" not in browser.cookies
            assert (await browser.get("/api/v1/me")).status_code == 401
            return answer, None
        me: dict[str, Any] = (await browser.get("/api/v1/me")).json()
        return answer, me


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


# Owner-only configuration ------------------------------------------------------------------------
async def test_an_admin_can_neither_configure_nor_remove_single_sign_on(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    admin, _ = await tenant.member_client(app, "admin")
    admin_key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    body = {"issuer": local_idp.issuer, "client_id": CLIENT_ID, "client_secret": "the admin's own provider"}
    for client in (admin, admin_key):
        refused = await client.put("/api/v1/organisation/sso", json=body)
        assert _problem(refused, 403) == "only an owner can configure single sign-on"
    assert (await tenant.client.get("/api/v1/organisation/sso")).status_code == 404  # nothing was created

    config = await configure(tenant, local_idp)
    for client in (admin, admin_key):
        # Not even the owner-only switch, and not with the right version in hand.
        takeover = await client.put(
            "/api/v1/organisation/sso",
            json={**body, "owner_sign_in": True},
            headers={"If-Match": f'"{config["version"]}"'},
        )
        _problem(takeover, 403)
        _problem(await client.delete("/api/v1/organisation/sso"), 403)
    # Admins still see the settings, which hold no secret.
    seen = await admin.get("/api/v1/organisation/sso")
    assert seen.status_code == 200 and seen.json() == config and "client_secret" not in seen.json()
    assert (await tenant.client.delete("/api/v1/organisation/sso")).status_code == 204


async def test_roles_above_member_cannot_be_the_default_of_members_created_at_sign_in(
    tenant: Tenant, local_idp: TestProvider
) -> None:
    for role in ("admin", "owner"):
        refused = await tenant.client.put(
            "/api/v1/organisation/sso",
            json={
                "issuer": local_idp.issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "allowed_domains": ["acme.test"],
                "auto_create_members": True,
                "default_role": role,
            },
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == ["body", "default_role"]


async def test_a_sign_in_never_makes_anyone_more_than_the_default_role(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    await configure(tenant, local_idp, auto_create_members=True, default_role="viewer")
    boasting = {"role": "owner", "roles": ["admin"], "groups": ["owners"], "email_verified": True}
    newcomer = email_at("newcomer")
    local_idp.user = {"sub": "idp-new", "email": newcomer, **boasting}
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303 and me is not None
    assert (me["member"]["role"], me["scopes"]) == ("viewer", ["read"])

    # An existing member keeps their role, whatever the provider claims.
    viewer = email_at("vera")
    await add_member(tenant, viewer, role="viewer")
    local_idp.user = {"sub": "idp-vera", "email": viewer, **boasting}
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303 and me is not None and me["member"]["role"] == "viewer"
    roles = await owner_connection.fetch(
        "SELECT role FROM users WHERE org_id = $1 AND email = ANY($2::text[])",
        uuid.UUID(tenant.org_id),
        [newcomer, viewer],
    )
    assert [r["role"] for r in roles] == ["viewer", "viewer"]


# The owner signs in with the password unless an owner allowed single sign-on for owners ---------------
async def test_single_sign_on_refuses_the_owners_email_unless_an_owner_turned_it_on(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    config = await configure(tenant, local_idp, sso_required=True)
    assert config["owner_sign_in"] is False
    # Whoever controls an account at the provider with the owner's email (or the provider itself).
    local_idp.user = {"sub": "idp-owner", "email": tenant.email.upper(), "email_verified": True}
    answer, _ = await _sign_in(app, tenant)
    detail = _problem(answer, 403)
    assert detail.startswith(f"{tenant.email} is an owner of this organisation: owners sign in with their password")
    sessions = await owner_connection.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE user_id = $1", uuid.UUID(tenant.owner_id)
    )
    assert sessions == 1  # the sign-up's only
    # The owner's way in is the password, even though the organisation requires single sign-on.
    async with make_client(app) as browser:
        login = await browser.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert login.status_code == 200, login.text

    # The owner allows it (keeping the stored client secret): the same sign-in now works.
    allowed = await configure(tenant, local_idp, sso_required=True, owner_sign_in=True, client_secret=None)
    assert allowed["owner_sign_in"] is True
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303 and me is not None
    assert (me["member"]["id"], me["member"]["role"]) == (tenant.owner_id, "owner")

    # A configuration saved without the switch turns it off again (PUT replaces the whole configuration).
    assert (await configure(tenant, local_idp, client_secret=None))["owner_sign_in"] is False
    answer, _ = await _sign_in(app, tenant)
    _problem(answer, 403)


async def test_a_second_owner_is_refused_too(app: FastAPI, tenant: Tenant, local_idp: TestProvider) -> None:
    co_owner = email_at("olga")
    await add_member(tenant, co_owner, role="owner")
    await configure(tenant, local_idp)
    local_idp.user = {"sub": "idp-olga", "email": co_owner, "email_verified": True}
    answer, _ = await _sign_in(app, tenant)
    assert "is an owner of this organisation" in _problem(answer, 403)


# email_verified is the JSON boolean true, in the ID token and in UserInfo -----------------------------
@pytest.mark.parametrize("in_id_token", [True, False], ids=["id-token", "userinfo"])
@pytest.mark.parametrize("claimed", ["false", 0, "no", "true", 1, "1", False, None, {}], ids=repr)
async def test_only_the_json_boolean_true_verifies_an_email(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, claimed: object, in_id_token: bool
) -> None:
    # Even in an allowed domain, where an absent claim would be trusted: a claim present must say true.
    maria = email_at()
    await add_member(tenant, maria)
    await configure(tenant, local_idp)
    local_idp.email_in_id_token = in_id_token
    local_idp.user = {"sub": "idp-maria", "email": maria, "email_verified": claimed}
    answer, _ = await _sign_in(app, tenant)
    assert _problem(answer, 401) == f"the identity provider has not verified {maria}"

    local_idp.user = {"sub": "idp-maria", "email": maria, "email_verified": True}
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303 and me is not None and me["member"]["email"] == maria


# The email from UserInfo ------------------------------------------------------------------------------
async def test_an_email_only_in_userinfo_signs_in(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    maria = email_at()
    member = await add_member(tenant, maria)
    await configure(tenant, local_idp, auto_create_members=True)
    local_idp.email_in_id_token = False  # as node's oidc-provider does by default
    local_idp.user = {"sub": "idp-maria", "email": maria, "email_verified": True}
    asked = len(local_idp.userinfo_requests)
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303, answer.text
    assert me is not None and me["member"]["id"] == member["id"]
    [request] = local_idp.userinfo_requests[asked:]
    assert request["Authorization"].startswith("Bearer ")

    # A newcomer of an allowed domain is created from UserInfo's claims (no email_verified: the domain vouches).
    newcomer = email_at("nils")
    local_idp.user = {"sub": "idp-nils", "email": newcomer, "name": "Nils New"}
    answer, me = await _sign_in(app, tenant)
    assert answer.status_code == 303 and me is not None
    assert (me["member"]["email"], me["member"]["name"], me["member"]["role"]) == (newcomer, "Nils New", "member")

    # When the ID token carries the email, UserInfo is not asked.
    local_idp.email_in_id_token = True
    asked = len(local_idp.userinfo_requests)
    answer, _ = await _sign_in(app, tenant)
    assert answer.status_code == 303 and len(local_idp.userinfo_requests) == asked


async def test_userinfo_about_another_subject_is_refused(app: FastAPI, tenant: Tenant, local_idp: TestProvider) -> None:
    victim = email_at("victor")
    await add_member(tenant, victim, role="admin")
    await configure(tenant, local_idp)
    local_idp.email_in_id_token = False
    local_idp.user = {"sub": "idp-mallory", "email": email_at("mallory"), "email_verified": True}
    local_idp.userinfo = {"sub": "idp-victor", "email": victim, "email_verified": True}
    answer, _ = await _sign_in(app, tenant)
    assert _problem(answer, 401) == "the identity provider's UserInfo is about another subject than the ID token"

    local_idp.userinfo = {"email": victim, "email_verified": True}  # no subject at all
    answer, _ = await _sign_in(app, tenant)
    _problem(answer, 401)


# Two first sign-ins of the same new person at once (two tabs) --------------------------------------------------
async def test_two_simultaneous_first_sign_ins_make_one_member(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider, owner_connection: asyncpg.Connection
) -> None:
    await configure(tenant, local_idp, auto_create_members=True, default_role="member")
    newcomer = email_at("twin")
    local_idp.user = {"sub": "idp-twin", "email": newcomer, "email_verified": True}
    async with make_client(app) as first, make_client(app) as second:
        callbacks = [(await to_provider_and_back(browser, tenant.org_id))[0] for browser in (first, second)]
        answers = await asyncio.gather(first.get(callbacks[0]), second.get(callbacks[1]))
        assert [a.status_code for a in answers] == [303, 303]
        members = {(await browser.get("/api/v1/me")).json()["member"]["id"] for browser in (first, second)}
    assert len(members) == 1
    rows = await owner_connection.fetchval(
        "SELECT count(*) FROM users WHERE org_id = $1 AND email = $2", uuid.UUID(tenant.org_id), newcomer
    )
    assert rows == 1
