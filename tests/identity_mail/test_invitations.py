"""Invitations through the API and a real SMTP server: the link in the message is followed."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import asyncpg
from fastapi import FastAPI

from tests.support import PASSWORD, FixedClock, SignUp, Tenant, make_client

from .conftest import Inbox, client_from, deliver, new_email

ACCEPT = "/accept-invitation"
NEW_PASSWORD = "violet tangerine harbour lamp"


async def _invite(tenant: Tenant, email: str, role: str = "member", **extra: object) -> dict[str, object]:
    response = await tenant.client.post("/api/v1/invitations", json={"email": email, "role": role, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _dead(response: object) -> None:
    """The one answer for every link that does not work (accepted, revoked, replaced, expired, unknown)."""
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["errors"][0]["loc"] == ["body", "token"]
    assert "not valid" in body["errors"][0]["message"]


async def test_accepting_creates_the_member_signs_them_in_and_spends_the_link(
    app: FastAPI, tenant: Tenant, inbox: Inbox, owner_connection: asyncpg.Connection
) -> None:
    team = await tenant.client.post("/api/v1/teams", json={"name": f"Growth {uuid.uuid4().hex[:6]}"})
    assert team.status_code == 201, team.text
    address = new_email("ivy")
    invitation = await _invite(tenant, address, "admin", team_id=team.json()["id"])
    assert (invitation["email"], invitation["role"]) == (address, "admin")
    listed = (await tenant.client.get("/api/v1/invitations")).json()["items"]
    assert [i["id"] for i in listed] == [invitation["id"]]

    assert await deliver(app) >= 1
    message = inbox.to(address)[-1]
    assert "invited to Acme Marketing" in message["Subject"]
    token = inbox.link(address, ACCEPT)
    stored = await owner_connection.fetchval("SELECT token_hash FROM invitations WHERE email = $1", address)
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()  # only the hash is kept
    assert token not in str(await owner_connection.fetch("SELECT * FROM invitations WHERE email = $1", address))

    async with client_from(app) as person:
        preview = await person.post("/api/v1/invitations/preview", json={"token": token})
        assert preview.status_code == 200, preview.text
        assert preview.json()["email"] == address and preview.json()["sign_in"] == "password"
        accepted = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Ivy Invited", "password": NEW_PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["sign_in"] == "session"
        me = await person.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert (me.json()["member"]["email"], me.json()["member"]["role"]) == (address, "admin")
        member_id = me.json()["member"]["id"]
        again = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Ivy Again", "password": NEW_PASSWORD}
        )
        _dead(again)
    assert (await tenant.client.get("/api/v1/invitations")).json()["items"] == []
    in_team = await owner_connection.fetchval(
        "SELECT count(*) FROM team_members WHERE team_id = $1 AND user_id = $2",
        uuid.UUID(team.json()["id"]),
        uuid.UUID(member_id),
    )
    assert in_team == 1
    events = (await tenant.client.get("/api/v1/events", params={"type": "member.created"})).json()["items"]
    created = [e for e in events if e["object_id"] == member_id]
    assert len(created) == 1 and created[0]["actor"] == f"user:{tenant.owner_id}"
    async with make_client(app) as again_client:
        login = await again_client.post("/api/v1/auth/login", json={"email": address, "password": NEW_PASSWORD})
        assert login.status_code == 200, login.text


async def test_nobody_invites_above_their_own_role(app: FastAPI, tenant: Tenant) -> None:
    admin, _ = await tenant.member_client(app, "admin")
    member, _ = await tenant.member_client(app, "member")
    refused = await admin.post("/api/v1/invitations", json={"email": new_email(), "role": "owner"})
    assert refused.status_code == 403, refused.text
    assert (await admin.post("/api/v1/invitations", json={"email": new_email(), "role": "admin"})).status_code == 201
    assert (await member.post("/api/v1/invitations", json={"email": new_email(), "role": "viewer"})).status_code == 403
    assert (await member.get("/api/v1/invitations")).status_code == 403
    owner_invites_owner = await tenant.client.post("/api/v1/invitations", json={"email": new_email(), "role": "owner"})
    assert owner_invites_owner.status_code == 201
    # An admin can neither resend nor revoke an owner's invitation of an owner.
    owner_id = owner_invites_owner.json()["id"]
    assert (await admin.delete(f"/api/v1/invitations/{owner_id}")).status_code == 403
    assert (await admin.post(f"/api/v1/invitations/{owner_id}/resend")).status_code == 403


async def test_an_existing_member_is_not_invited_and_a_new_invitation_replaces_the_open_one(
    app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    taken = await tenant.client.post("/api/v1/invitations", json={"email": tenant.email, "role": "member"})
    assert taken.status_code == 409, taken.text
    address = new_email()
    first = await _invite(tenant, address, "viewer")
    await deliver(app)
    old = inbox.link(address, ACCEPT)
    second = await _invite(tenant, address, "member")
    await deliver(app)
    new = inbox.link(address, ACCEPT)
    listed = (await tenant.client.get("/api/v1/invitations")).json()["items"]
    assert [i["id"] for i in listed] == [second["id"]] and first["id"] != second["id"]
    async with client_from(app) as person:
        _dead(await person.post("/api/v1/invitations/preview", json={"token": old}))
        preview = await person.post("/api/v1/invitations/preview", json={"token": new})
        assert preview.json()["role"] == "member"


async def test_revoked_and_unknown_links_get_the_same_answer(app: FastAPI, tenant: Tenant, inbox: Inbox) -> None:
    address = new_email()
    invitation = await _invite(tenant, address)
    await deliver(app)
    token = inbox.link(address, ACCEPT)
    assert (await tenant.client.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 204
    assert (await tenant.client.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 404
    async with client_from(app) as person:
        body = {"name": "Rae", "password": NEW_PASSWORD}
        revoked = await person.post("/api/v1/invitations/accept", json={"token": token, **body})
        unknown = await person.post("/api/v1/invitations/accept", json={"token": "x" * 43, **body})
        _dead(revoked)
        _dead(unknown)
        same = {k: v for k, v in revoked.json().items() if k != "request_id"}
        assert same == {k: v for k, v in unknown.json().items() if k != "request_id"}


async def test_links_expire_after_seven_days_and_a_resend_gives_a_new_one(
    app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock
) -> None:
    address = new_email()
    invitation = await _invite(tenant, address)
    await deliver(app, real_now.now)
    first = inbox.link(address, ACCEPT)
    soon = await tenant.client.post(f"/api/v1/invitations/{invitation['id']}/resend")
    assert soon.status_code == 429 and 1 <= int(soon.headers["Retry-After"]) <= 60

    real_now.now += timedelta(days=7, seconds=1)
    async with client_from(app) as person:
        body = {"name": "Late Larry", "password": NEW_PASSWORD}
        _dead(await person.post("/api/v1/invitations/accept", json={"token": first, **body}))
        # Still listed (expired): the admin resends, the new link works, the old one stays dead.
        listed = (await tenant.client.get("/api/v1/invitations")).json()["items"]
        assert [i["id"] for i in listed] == [invitation["id"]]
        resent = await tenant.client.post(f"/api/v1/invitations/{invitation['id']}/resend")
        assert resent.status_code == 200, resent.text
        await deliver(app, real_now.now)
        second = inbox.link(address, ACCEPT)
        assert second != first
        _dead(await person.post("/api/v1/invitations/accept", json={"token": first, **body}))
        accepted = await person.post("/api/v1/invitations/accept", json={"token": second, **body})
        assert accepted.status_code == 200, accepted.text


async def test_another_organisations_invitation_is_not_found(app: FastAPI, signup: SignUp, inbox: Inbox) -> None:
    acme, other = await signup("Acme"), await signup("Other Org")
    invitation = await _invite(acme, new_email())
    assert (await other.client.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 404
    assert (await other.client.post(f"/api/v1/invitations/{invitation['id']}/resend")).status_code == 404
    assert (await other.client.get("/api/v1/invitations")).json()["items"] == []
    assert len((await acme.client.get("/api/v1/invitations")).json()["items"]) == 1


async def test_a_password_is_needed_and_checked_against_the_rules(app: FastAPI, tenant: Tenant, inbox: Inbox) -> None:
    address = new_email()
    await _invite(tenant, address)
    await deliver(app)
    token = inbox.link(address, ACCEPT)
    async with client_from(app) as person:
        missing = await person.post("/api/v1/invitations/accept", json={"token": token, "name": "Pat"})
        assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "password"]
        weak = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Pat", "password": "password1234"}
        )
        assert weak.status_code == 422 and weak.json()["errors"][0]["type"] == "password_common"
        personal = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Pat", "password": "Acme Marketing 2026"}
        )
        assert personal.status_code == 422 and personal.json()["errors"][0]["type"] == "password_personal"
        # None of those spent the link.
        ok = await person.post("/api/v1/invitations/accept", json={"token": token, "name": "Pat", "password": PASSWORD})
        assert ok.status_code == 200, ok.text
