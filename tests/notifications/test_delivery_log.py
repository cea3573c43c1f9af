"""The mail delivery log admins read in the app: newest first, paginated, tenant-scoped, the text of logged
messages only, and closed to members and viewers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from sightline.mail.log import error_class
from tests.identity_mail.conftest import Inbox, deliver
from tests.support import FixedClock, SignUp, Tenant, create

from .helpers import mention, owned_by

LOG = "/api/v1/mail/messages"


async def _mention(tenant: Tenant, objective_id: str, *people: tuple[str, str]) -> None:
    body = " ".join(mention(name, user_id) for name, user_id in people)
    await create(
        tenant.client, "/api/v1/comments", {"target_type": "objective", "target_id": objective_id, "body": body}
    )


async def _log(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(LOG, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _email_of(tenant: Tenant, user_id: str) -> str:
    email: str = (await tenant.client.get(f"/api/v1/members/{user_id}")).json()["email"]
    return email


async def test_without_smtp_an_admin_reads_the_logged_messages_newest_first_with_their_text(
    app: FastAPI, tenant: Tenant, real_now: FixedClock
) -> None:
    _, ann = await tenant.member_client(app, "member")
    _, bob = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _mention(tenant, objective["id"], ("Ann", ann))
    pending = (await _log(tenant.client))["items"]
    assert [m["status"] for m in pending] == ["pending"] and pending[0]["body_text"] is None
    real_now.now += timedelta(seconds=1)  # newest first: Bob's message is the later one
    await _mention(tenant, objective["id"], ("Bob", bob))
    await deliver(app, real_now.now)
    page = await _log(tenant.client, limit=1)
    first = page["items"][0]
    assert first["to"] == await _email_of(tenant, bob) and page["next_cursor"]
    assert first["status"] == "logged" and first["kind"] == "notification.mentioned"
    assert first["attempts"] == 1 and first["sent_at"] and first["error_class"] is None
    assert "Olive Owner mentioned you: @Bob" in first["body_text"]
    rest = await _log(tenant.client, limit=1, cursor=page["next_cursor"])
    assert [m["to"] for m in rest["items"]] == [await _email_of(tenant, ann)] and rest["next_cursor"] is None
    logged = await _log(tenant.client, status="logged")
    assert len(logged["items"]) == 2 and (await _log(tenant.client, status="failed"))["items"] == []


async def test_a_sent_message_shows_no_body(app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock) -> None:
    _, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _mention(tenant, objective["id"], ("Ann", ann))
    await deliver(app)
    [sent] = (await _log(tenant.client))["items"]
    assert sent["status"] == "sent" and sent["body_text"] is None and len(inbox.to(sent["to"])) == 1


async def test_members_and_viewers_may_not_read_it_and_another_organisation_sees_none_of_it(
    app: FastAPI, tenant: Tenant, signup: SignUp, real_now: FixedClock
) -> None:
    other = await signup()
    _, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _mention(tenant, objective["id"], ("Ann", ann))
    for role in ("member", "viewer"):
        client, _ = await tenant.member_client(app, role)
        refused = await client.get(LOG)
        assert refused.status_code == 403, refused.text
    admin, _ = await tenant.member_client(app, "admin")
    assert len((await _log(admin))["items"]) == 1
    assert (await _log(other.client))["items"] == []


def test_the_error_class_is_the_exception_name_only() -> None:
    assert error_class("SMTPRecipientsRefused: {'a@b': (550, b'no')}") == "SMTPRecipientsRefused"
    assert error_class("not a class name: x") == "Error"
    assert error_class(None) is None
