"""The same email in several organisations: sign-in offers a choice only to someone holding the password; sign-up
with an email that already has an account says so (issue 14, point 9)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from tests.support import PASSWORD, SignUp, Tenant, make_client

OTHER_PASSWORD = "another long passphrase 42"


async def _member(tenant: Tenant, email: str, password: str = PASSWORD) -> None:
    created = await tenant.client.post(
        "/api/v1/members", json={"email": email, "name": "Sam Shared", "role": "member", "password": password}
    )
    assert created.status_code == 201, created.text


def _shared_email() -> str:
    return f"shared-{uuid.uuid4().hex[:8]}@example.test"


async def test_a_password_that_opens_several_accounts_gets_their_names_to_choose_from(
    app: FastAPI, signup: SignUp
) -> None:
    first, second = await signup("Alpha Choice"), await signup("Beta Choice")
    shared = _shared_email()
    for tenant in (second, first):
        await _member(tenant, shared)
    async with make_client(app) as client:
        choice = await client.post("/api/v1/auth/login", json={"email": shared, "password": PASSWORD})
        assert choice.status_code == 409
        assert choice.headers["content-type"] == "application/problem+json"
        body = choice.json()
        assert body["type"] == "/problems/organisation-choice"
        # Names and ids to choose from, sorted by name; no session is started before the choice.
        assert body["organisations"] == [
            {"id": first.org_id, "name": "Alpha Choice"},
            {"id": second.org_id, "name": "Beta Choice"},
        ]
        assert "sightline_session" not in client.cookies
        assert (await client.get("/api/v1/me")).status_code == 401
        chosen = await client.post(
            "/api/v1/auth/login", json={"email": shared, "password": PASSWORD, "organisation_id": second.org_id}
        )
        assert chosen.status_code == 200
        assert chosen.json()["organisation"]["name"] == "Beta Choice"
        assert (await client.get("/api/v1/me")).json()["organisation"]["id"] == second.org_id


async def test_without_the_password_nothing_is_revealed(app: FastAPI, signup: SignUp) -> None:
    first, second = await signup("Gamma Secret"), await signup("Delta Secret")
    shared = _shared_email()
    for tenant in (first, second):
        await _member(tenant, shared)
    async with make_client(app) as client:
        wrong = await client.post("/api/v1/auth/login", json={"email": shared, "password": "not the password 1"})
        unknown = await client.post(
            "/api/v1/auth/login", json={"email": _shared_email(), "password": "not the password 1"}
        )
    # A shared email with a wrong password answers exactly as an unknown email does: no names, no ids, no count.
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert set(wrong.json()) == set(unknown.json())
    for secret in ("Gamma Secret", "Delta Secret", first.org_id, second.org_id):
        assert secret not in wrong.text


async def test_only_the_organisations_the_password_opens_are_offered(app: FastAPI, signup: SignUp) -> None:
    first, second, third = await signup("Epsilon One"), await signup("Zeta Two"), await signup("Eta Three")
    shared = _shared_email()
    await _member(first, shared)
    await _member(second, shared)
    await _member(third, shared, password=OTHER_PASSWORD)
    async with make_client(app) as client:
        choice = await client.post("/api/v1/auth/login", json={"email": shared, "password": PASSWORD})
        assert choice.status_code == 409
        offered = {o["id"] for o in choice.json()["organisations"]}
        assert offered == {first.org_id, second.org_id}
        assert "Eta Three" not in choice.text and third.org_id not in choice.text
        # The other password opens one account only: straight in, no choice.
        single = await client.post("/api/v1/auth/login", json={"email": shared, "password": OTHER_PASSWORD})
        assert single.status_code == 200
        assert single.json()["organisation"]["id"] == third.org_id


async def test_choosing_an_organisation_the_password_does_not_open_is_refused(app: FastAPI, signup: SignUp) -> None:
    first, second, stranger = await signup("Theta A"), await signup("Iota B"), await signup("Kappa C")
    shared = _shared_email()
    await _member(first, shared)
    await _member(second, shared, password=OTHER_PASSWORD)
    async with make_client(app) as client:
        for org_id in (second.org_id, stranger.org_id, str(uuid.uuid4())):
            refused = await client.post(
                "/api/v1/auth/login", json={"email": shared, "password": PASSWORD, "organisation_id": org_id}
            )
            assert refused.status_code == 401, org_id
            assert "organisations" not in refused.json()
        assert (await client.get("/api/v1/me")).status_code == 401


async def test_signup_with_an_existing_email_says_so_and_can_still_create_another_organisation(
    anon: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {"organisation_name": "Second Venture", "name": "Olive", "email": tenant.email.upper(), "password": PASSWORD}
    taken = await anon.post("/api/v1/signup", json=body)
    assert taken.status_code == 409
    problem = taken.json()
    assert problem["type"] == "/problems/email-exists"
    assert problem["errors"] == [
        {"loc": ["body", "email"], "message": "an account with this email already exists", "type": "email_exists"}
    ]
    # It says that an account exists, nothing more: neither the organisation nor whether the password matched.
    assert tenant.org_id not in taken.text
    assert "sightline_session" not in anon.cookies
    created = await anon.post("/api/v1/signup", json={**body, "another_organisation": True})
    assert created.status_code == 201, created.text
    assert created.json()["organisation"]["name"] == "Second Venture"


async def test_signup_with_a_new_email_is_unchanged(anon: httpx.AsyncClient) -> None:
    email = _shared_email()
    created = await anon.post(
        "/api/v1/signup", json={"organisation_name": "Fresh", "name": "Nia", "email": email, "password": PASSWORD}
    )
    assert created.status_code == 201
