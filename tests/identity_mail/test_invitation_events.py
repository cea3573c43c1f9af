"""Invitation events: created, revoked and accepted, in the audit log for admins only (and in the webhook
catalogue), never with the link's token."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from tests.support import Tenant

from .conftest import Inbox, client_from, deliver, new_email

NEW_PASSWORD = "violet tangerine harbour lamp"


async def _events(tenant: Tenant, type: str) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v1/events", params={"type": type})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_invitations_write_events_admins_read_without_the_token(
    app: FastAPI, tenant: Tenant, inbox: Inbox
) -> None:
    gone, kept = new_email("gone"), new_email("kept")
    revoked = (await tenant.client.post("/api/v1/invitations", json={"email": gone, "role": "member"})).json()
    invited = (await tenant.client.post("/api/v1/invitations", json={"email": kept, "role": "viewer"})).json()
    assert (await tenant.client.delete(f"/api/v1/invitations/{revoked['id']}")).status_code == 204
    await deliver(app)
    token = inbox.link(kept, "/accept-invitation")
    async with client_from(app) as person:
        accepted = await person.post(
            "/api/v1/invitations/accept", json={"token": token, "name": "Kay Kept", "password": NEW_PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        member_id = (await person.get("/api/v1/me")).json()["member"]["id"]

    created = {e["object_id"]: e for e in await _events(tenant, "invitation.created")}
    assert created[invited["id"]]["actor"] == f"user:{tenant.owner_id}"
    assert created[invited["id"]]["object_type"] == "invitation"
    [revoked_event] = await _events(tenant, "invitation.revoked")
    assert revoked_event["object_id"] == revoked["id"]
    [accepted_event] = await _events(tenant, "invitation.accepted")
    assert accepted_event["object_id"] == invited["id"] and accepted_event["actor"] == f"user:{member_id}"
    everything = json.dumps([*created.values(), revoked_event, accepted_event])
    assert token not in everything and "token" not in everything

    member, _ = await tenant.member_client(app, "member")
    listed = (await member.get("/api/v1/events", params={"type": "invitation.created"})).json()["items"]
    assert listed == []  # admins only, like the invitations themselves
    catalogue = {item["type"] for item in (await tenant.client.get("/api/v1/event-types")).json()["items"]}
    assert {"invitation.created", "invitation.revoked", "invitation.accepted"} <= catalogue
