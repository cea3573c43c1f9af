"""Notification email through a real SMTP server: once, only to the recipient, text and HTML, a stable
Message-ID, and one-click unsubscribe (RFC 8058) that turns the kind off."""

from __future__ import annotations

import base64
import re
import uuid

import asyncpg
import httpx
from fastapi import FastAPI

from tests.identity_mail.conftest import BASE_URL, Inbox, deliver
from tests.support import FixedClock, Tenant, create

from .helpers import inbox_of, mention, owned_by, prefer

UNSUBSCRIBE = re.compile(r"<" + re.escape(BASE_URL) + r"(/api/v1/notifications/unsubscribe)\?token=([A-Za-z0-9_.-]+)>")


async def _comment(client: httpx.AsyncClient, objective_id: str, body: str) -> dict[str, object]:
    return await create(
        client, "/api/v1/comments", {"target_type": "objective", "target_id": objective_id, "body": body}
    )


async def test_a_mention_emails_only_the_mentioned_member_once_in_text_and_html(
    app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock
) -> None:
    _, ann = await tenant.member_client(app, "member")
    bob_client, bob = await tenant.member_client(app, "member")
    await prefer(bob_client, mentioned="in_app")  # in the inbox, never by email
    ann_email = (await tenant.client.get(f"/api/v1/members/{ann}")).json()["email"]
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _comment(tenant.client, objective["id"], f"<b>Look</b> {mention('Ann', ann)} & {mention('Bob', bob)}")
    bob_email = (await tenant.client.get(f"/api/v1/members/{bob}")).json()["email"]
    assert await deliver(app) >= 1  # the sender serves every organisation of the test database
    assert await deliver(app) == 0  # nothing left: never sent twice
    assert len(inbox.to(ann_email)) == 1 and inbox.to(bob_email) == []
    message = inbox.to(ann_email)[0]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Olive Owner mentioned you: <b>Look</b> @Ann & @Bob" in text
    assert f"{BASE_URL}/objectives/{objective['id']}" in text and f'href="{BASE_URL}/objectives/' in html
    assert "&lt;b&gt;Look&lt;/b&gt; @Ann &amp; @Bob" in html and "<b>Look" not in html  # escaped
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert UNSUBSCRIBE.fullmatch(message["List-Unsubscribe"])
    assert len((await inbox_of(bob_client))["items"]) == 1  # Bob has it in the app


async def test_one_click_unsubscribe_turns_the_kind_off(
    app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock, anon: httpx.AsyncClient
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _comment(tenant.client, objective["id"], mention("Ann", ann))
    await deliver(app)
    ann_email = (await tenant.client.get(f"/api/v1/members/{ann}")).json()["email"]
    match = UNSUBSCRIBE.fullmatch(inbox.to(ann_email)[-1]["List-Unsubscribe"])
    assert match
    path, token = match.groups()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    signed, _, signature = token.partition(".")
    named = base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4)).decode()
    assert named == f"{uuid.UUID(tenant.org_id).hex}.{uuid.UUID(ann).hex}.mentioned"
    someone_else = base64.urlsafe_b64encode(
        f"{uuid.UUID(tenant.org_id).hex}.{uuid.UUID(tenant.owner_id).hex}.mentioned".encode()
    )
    forged = someone_else.decode().rstrip("=") + "." + signature
    for bad in (tampered, "nonsense", forged):
        refused = await anon.post(path, params={"token": bad}, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await ann_client.get("/api/v1/me/notification-preferences")).json()["mentioned"] == "email"
    done = await anon.post(path, params={"token": token}, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 204, done.text
    assert (await tenant.client.get("/api/v1/me/notification-preferences")).json()["mentioned"] == "email"
    preferences = (await ann_client.get("/api/v1/me/notification-preferences")).json()
    assert preferences["mentioned"] == "off" and preferences["comment_on_owned"] == "in_app"
    await _comment(tenant.client, objective["id"], "again " + mention("Ann", ann))
    await deliver(app)
    assert len(inbox.to(ann_email)) == 1  # the first mention's message only
    assert len((await inbox_of(ann_client))["items"]) == 1  # off: not even in the app


async def test_a_retry_after_a_crash_sends_the_same_message_id(
    app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    _, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await _comment(tenant.client, objective["id"], mention("Ann", ann))
    # The sender serves every organisation of the test database: count only this message (others' mail may be due).
    assert await deliver(app) >= 1
    mail_id = await owner_connection.fetchval(
        "SELECT id FROM mail_outbox WHERE org_id = $1 AND kind = 'notification.mentioned'", uuid.UUID(tenant.org_id)
    )
    # The sender died after the server took the message, before it recorded so: the message is due again.
    await owner_connection.execute(
        "UPDATE mail_outbox SET status = 'pending', sent_at = NULL, next_attempt_at = now() WHERE id = $1", mail_id
    )
    assert await deliver(app) >= 1
    sent = [m for m in inbox.messages if m["Message-ID"] == f"<{mail_id}@localhost>"]
    assert len(sent) == 2  # the same Message-ID both times: a receiver sees one message
    assert sent[0]["Subject"] == sent[1]["Subject"]
