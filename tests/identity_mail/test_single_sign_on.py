"""Invitations and password resets in an organisation that signs in through single sign-on."""

from __future__ import annotations

from fastapi import FastAPI

from tests.integrations.oidc_provider import TestProvider, configure, local_idp, provider
from tests.support import PASSWORD, Tenant

from .conftest import Inbox, client_from, deliver, new_email

__all__ = ["local_idp", "provider"]  # fixtures


async def test_under_single_sign_on_the_invited_person_signs_in_there(
    app: FastAPI, tenant: Tenant, inbox: Inbox, local_idp: TestProvider
) -> None:
    await configure(tenant, local_idp, sso_required=True)
    address = new_email("sam")
    invited = await tenant.client.post("/api/v1/invitations", json={"email": address, "role": "member"})
    assert invited.status_code == 201, invited.text
    await deliver(app)
    token = inbox.link(address, "/accept-invitation")
    async with client_from(app) as person:
        preview = await person.post("/api/v1/invitations/preview", json={"token": token})
        assert preview.json()["sign_in"] == "sso"
        with_password = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Sam", "password": PASSWORD}
        )
        assert with_password.status_code == 422 and with_password.json()["errors"][0]["loc"] == ["body", "password"]
        accepted = await person.post("/api/v1/invitations/accept", json={"token": token, "name": "Sam"})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {
            "sign_in": "sso",
            "me": None,
            "sso_start_url": f"/api/v1/auth/sso/start?organisation_id={tenant.org_id}",
        }
        assert (await person.get("/api/v1/me")).status_code == 401  # no session: single sign-on gives it
    members = (await tenant.client.get("/api/v1/members")).json()["items"]
    assert [m["name"] for m in members if m["email"] == address] == ["Sam"]

    # "Forgot password" tells them where to sign in instead of sending a link.
    async with client_from(app) as anyone:
        assert (await anyone.post("/api/v1/password-reset", json={"email": address})).status_code == 202
    await deliver(app)
    body = inbox.to(address)[-1].get_content()
    assert "single sign-on" in body and "/reset-password" not in body
    assert f"/api/v1/auth/sso/start?organisation_id={tenant.org_id}" in body
