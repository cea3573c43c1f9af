"""Editing your own comment (history kept, If-Match), deleting (own, admins any), replies one level deep, tombstones."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from fastapi import FastAPI

from tests.comments.helpers import comment, targets, thread
from tests.support import FixedClock, Tenant, waiting_for_locks


async def test_an_edit_needs_if_match_and_keeps_each_previous_body(tenant: Tenant, clock: FixedClock) -> None:
    made = await targets(tenant.client)
    clock.set("2026-07-01T09:00:00+00:00")
    written = await comment(tenant.client, made.objective["id"], "First draft")
    url = f"/api/v1/comments/{written['id']}"
    assert (await tenant.client.patch(url, json={"body": "Second"})).status_code == 428
    clock.set("2026-07-01T09:05:00+00:00")
    edited = await tenant.client.patch(url, json={"body": "Second"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"2"'
    assert (edited.json()["body"], edited.json()["version"]) == ("Second", 2)
    assert edited.json()["edited_at"] == "2026-07-01T09:05:00Z"
    assert edited.json()["created_at"] == "2026-07-01T09:00:00Z"
    stale = await tenant.client.patch(url, json={"body": "Lost update"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    # A bad body is a 422 even with a stale ETag (docs/decisions/api-answer-order.md).
    assert (await tenant.client.patch(url, json={"body": ""}, headers={"If-Match": '"1"'})).status_code == 422
    clock.set("2026-07-01T10:00:00+00:00")
    third = await tenant.client.patch(url, json={"body": "Third"}, headers={"If-Match": '"2"'})
    assert third.json()["version"] == 3
    # The same body again changes nothing: no version, no revision.
    same = await tenant.client.patch(url, json={"body": "Third"}, headers={"If-Match": '"3"'})
    assert same.status_code == 200 and same.json()["version"] == 3
    revisions = (await tenant.client.get(f"{url}/revisions")).json()
    assert revisions["next_cursor"] is None
    actor = f"user:{tenant.owner_id}"
    assert revisions["items"] == [
        {
            "comment_id": written["id"],
            "version": 1,
            "body": "First draft",
            "written_at": "2026-07-01T09:00:00Z",
            "replaced_at": "2026-07-01T09:05:00Z",
            "replaced_by": actor,
        },
        {
            "comment_id": written["id"],
            "version": 2,
            "body": "Second",
            "written_at": "2026-07-01T09:05:00Z",
            "replaced_at": "2026-07-01T10:00:00Z",
            "replaced_by": actor,
        },
    ]
    assert (await tenant.client.get(url)).json()["body"] == "Third"
    assert (await tenant.client.get(f"/api/v1/comments/{uuid.uuid4()}/revisions")).status_code == 404


async def test_only_the_author_edits_and_only_the_author_or_an_admin_deletes(app: FastAPI, tenant: Tenant) -> None:
    made = await targets(tenant.client)
    member, member_id = await tenant.member_client(app, "member")
    colleague, _ = await tenant.member_client(app, "member")
    admin, _ = await tenant.member_client(app, "admin")
    mine = await comment(member, made.objective["id"], "Mine")
    url = f"/api/v1/comments/{mine['id']}"
    for other in (colleague, admin, tenant.client):
        refused = await other.patch(url, json={"body": "Not yours"}, headers={"If-Match": '"1"'})
        assert refused.status_code == 403
    assert (await colleague.delete(url, headers={"If-Match": '"1"'})).status_code == 403
    assert (await tenant.client.get(url)).json()["body"] == "Mine"
    assert (await admin.delete(url)).status_code == 428
    assert (await admin.delete(url, headers={"If-Match": '"1"'})).status_code == 204
    assert (await tenant.client.get(url)).status_code == 404
    own = await comment(member, made.objective["id"], "Also mine")
    assert (await member.delete(f"/api/v1/comments/{own['id']}", headers={"If-Match": '"1"'})).status_code == 204
    assert await thread(tenant.client, made.objective["id"]) == []
    assert member_id == mine["author_id"]


async def test_replies_are_one_level_deep_on_the_same_target(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    top = await comment(tenant.client, made.objective["id"], "Top")
    reply = await comment(tenant.client, made.objective["id"], "Reply", parent_id=top["id"])
    assert reply["parent_id"] == top["id"]
    deeper = await tenant.client.post(
        "/api/v1/comments",
        json={"target_type": "objective", "target_id": made.objective["id"], "body": "x", "parent_id": reply["id"]},
    )
    assert deeper.status_code == 422
    assert deeper.json()["errors"][0]["loc"] == ["body", "parent_id"]
    elsewhere = await tenant.client.post(
        "/api/v1/comments",
        json={"target_type": "key_result", "target_id": made.key_result["id"], "body": "x", "parent_id": top["id"]},
    )
    assert elsewhere.status_code == 422
    missing = await tenant.client.post(
        "/api/v1/comments",
        json={
            "target_type": "objective",
            "target_id": made.objective["id"],
            "body": "x",
            "parent_id": str(uuid.uuid4()),
        },
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "comment not found"
    later = await comment(tenant.client, made.objective["id"], "Later top")
    second = await comment(tenant.client, made.objective["id"], "Second reply", parent_id=top["id"])
    listed = await thread(tenant.client, made.objective["id"])
    assert [(c["id"], c["parent_id"]) for c in listed] == [
        (top["id"], None),
        (reply["id"], top["id"]),
        (later["id"], None),
        (second["id"], top["id"]),
    ]
    only_replies = await tenant.client.get(
        "/api/v1/comments",
        params={"target_type": "objective", "target_id": made.objective["id"], "parent_id": top["id"]},
    )
    assert [c["id"] for c in only_replies.json()["items"]] == [reply["id"], second["id"]]


async def test_a_deleted_comment_with_replies_stays_as_a_tombstone_until_its_last_reply_goes(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    made = await targets(tenant.client)
    member, member_id = await tenant.member_client(app, "member")
    top = await comment(tenant.client, made.objective["id"], "Secret plan, @[Ann](user:" + member_id + ")")
    edited = await tenant.client.patch(
        f"/api/v1/comments/{top['id']}", json={"body": "Secret plan v2"}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200
    reply = await comment(member, made.objective["id"], "Answer", parent_id=top["id"])
    deleted = await tenant.client.delete(f"/api/v1/comments/{top['id']}", headers={"If-Match": '"2"'})
    assert deleted.status_code == 204
    tombstone = (await tenant.client.get(f"/api/v1/comments/{top['id']}")).json()
    assert (tombstone["deleted"], tombstone["body"], tombstone["body_html"], tombstone["mentions"]) == (
        True,
        "",
        "",
        [],
    )
    assert tombstone["deleted_at"] is not None and tombstone["version"] == 3
    assert [c["id"] for c in await thread(tenant.client, made.objective["id"])] == [top["id"], reply["id"]]
    # Its words are gone from the database, history included.
    org = uuid.UUID(tenant.org_id)
    assert (
        await owner_connection.fetchval(
            "SELECT body FROM comments WHERE org_id = $1 AND id = $2", org, uuid.UUID(top["id"])
        )
        == ""
    )
    assert await owner_connection.fetchval("SELECT count(*) FROM comment_revisions WHERE org_id = $1", org) == 0
    assert (await tenant.client.get(f"/api/v1/comments/{top['id']}/revisions")).json()["items"] == []
    # A tombstone takes no new reply, no edit, no second delete.
    closed = await member.post(
        "/api/v1/comments",
        json={"target_type": "objective", "target_id": made.objective["id"], "body": "x", "parent_id": top["id"]},
    )
    assert closed.status_code == 409
    url = f"/api/v1/comments/{top['id']}"
    assert (await tenant.client.patch(url, json={"body": "Back"}, headers={"If-Match": '"3"'})).status_code == 409
    assert (await tenant.client.delete(url, headers={"If-Match": '"3"'})).status_code == 409
    # The last reply going takes the tombstone with it.
    assert (await member.delete(f"/api/v1/comments/{reply['id']}", headers={"If-Match": '"1"'})).status_code == 204
    assert await thread(tenant.client, made.objective["id"]) == []
    assert await owner_connection.fetchval("SELECT count(*) FROM comments WHERE org_id = $1", org) == 0


async def test_a_reply_written_while_its_parent_is_deleted_keeps_the_parent_as_a_tombstone(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    """The reply has read its parent when the delete starts: the delete waits for it and leaves a tombstone
    (without the reply's hold on its parent, the delete would go through and the reply's insert fail)."""
    made = await targets(tenant.client)
    parent = await comment(tenant.client, made.objective["id"], "Soon gone")
    body = {"target_type": "objective", "target_id": made.objective["id"], "body": "Quick", "parent_id": parent["id"]}
    hold = owner_connection.transaction()
    await hold.start()
    try:
        # The reply's insert checks its objective (a key-share lock): held here, it stops after reading the parent.
        await owner_connection.execute(
            "SELECT 1 FROM objectives WHERE org_id = $1 AND id = $2 FOR UPDATE",
            uuid.UUID(tenant.org_id),
            uuid.UUID(made.objective["id"]),
        )
        reply = asyncio.create_task(tenant.client.post("/api/v1/comments", json=body))
        await waiting_for_locks(owner_connection, 1, task=reply)
        deleting = asyncio.create_task(
            tenant.client.delete(f"/api/v1/comments/{parent['id']}", headers={"If-Match": '"1"'})
        )
        await waiting_for_locks(owner_connection, 2, task=deleting)
    finally:
        await hold.rollback()
    replied, deleted = await reply, await deleting
    assert (replied.status_code, deleted.status_code) == (201, 204), replied.text
    tombstone = (await tenant.client.get(f"/api/v1/comments/{parent['id']}")).json()
    assert tombstone["deleted"] is True
    listed = await thread(tenant.client, made.objective["id"])
    assert [(c["id"], c["parent_id"]) for c in listed] == [
        (parent["id"], None),
        (replied.json()["id"], parent["id"]),
    ]
