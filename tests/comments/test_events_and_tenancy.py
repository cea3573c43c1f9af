"""Events in the same transaction as the change; another organisation's ids answer 404; bounded statements."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from fastapi import FastAPI

from tests.comments.helpers import comment, mention, targets, thread
from tests.support import SignUp, StatementCounter, Tenant


async def _events(tenant: Tenant, object_id: str) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v1/events", params={"type": "comment.*", "object_id": object_id})
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_created_updated_and_deleted_are_events_with_the_comment(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    written = await comment(tenant.client, made.check_in["id"], f"Hi {mention('Me', tenant.owner_id)}", "check_in")
    edited = (
        await tenant.client.patch(
            f"/api/v1/comments/{written['id']}", json={"body": "Edited"}, headers={"If-Match": '"1"'}
        )
    ).json()
    assert (
        await tenant.client.delete(f"/api/v1/comments/{written['id']}", headers={"If-Match": '"2"'})
    ).status_code == 204
    events = await _events(tenant, written["id"])
    assert [e["type"] for e in events] == ["comment.created", "comment.updated", "comment.deleted"]
    created, updated, deleted = events
    assert created["object_type"] == "comment" and created["actor"] == f"user:{tenant.owner_id}"
    assert created["after"] == written
    assert created["after"]["mentions"] == [{"user_id": tenant.owner_id, "name": "Olive Owner"}]
    assert (updated["before"]["body"], updated["after"]) == (written["body"], edited)
    assert deleted["before"] == edited and deleted["after"] is None


async def test_a_refused_write_leaves_no_comment_and_no_event(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    made = await targets(tenant.client)
    refused = await tenant.client.post(
        "/api/v1/comments",
        json={
            "target_type": "objective",
            "target_id": made.objective["id"],
            "body": "x",
            "parent_id": str(uuid.uuid4()),
        },
    )
    assert refused.status_code == 404
    org = uuid.UUID(tenant.org_id)
    assert await owner_connection.fetchval("SELECT count(*) FROM comments WHERE org_id = $1", org) == 0
    assert (
        await owner_connection.fetchval("SELECT count(*) FROM events WHERE org_id = $1 AND type LIKE 'comment.%'", org)
        == 0
    )


async def test_another_organisations_comments_and_targets_answer_404(tenant: Tenant, signup: SignUp) -> None:
    made = await targets(tenant.client)
    theirs = await comment(tenant.client, made.objective["id"], "Confidential pricing plan")
    attacker = await signup("Rival Inc")
    mine = await targets(attacker.client)
    url = f"/api/v1/comments/{theirs['id']}"
    assert (await attacker.client.get(url)).status_code == 404
    assert (await attacker.client.get(f"{url}/revisions")).status_code == 404
    assert (await attacker.client.patch(url, json={"body": "pwned"}, headers={"If-Match": '"1"'})).status_code == 404
    assert (await attacker.client.delete(url, headers={"If-Match": '"1"'})).status_code == 404
    for target_type, target in (
        ("objective", made.objective),
        ("key_result", made.key_result),
        ("check_in", made.check_in),
    ):
        listed = await attacker.client.get(
            "/api/v1/comments", params={"target_type": target_type, "target_id": target["id"]}
        )
        assert listed.status_code == 404
        posted = await attacker.client.post(
            "/api/v1/comments", json={"target_type": target_type, "target_id": target["id"], "body": "hi"}
        )
        assert posted.status_code == 404
    # A reply on the attacker's own objective to the victim's comment: the parent is not there for them.
    reply = await attacker.client.post(
        "/api/v1/comments",
        json={"target_type": "objective", "target_id": mine.objective["id"], "body": "x", "parent_id": theirs["id"]},
    )
    assert reply.status_code == 404
    after = await tenant.client.get(url)
    assert (after.json()["body"], after.json()["version"]) == ("Confidential pricing plan", 1)
    assert [c["id"] for c in await thread(tenant.client, made.objective["id"])] == [theirs["id"]]


async def test_listing_costs_the_same_statements_for_one_comment_or_fifty(app: FastAPI, tenant: Tenant) -> None:
    made = await targets(tenant.client)
    _, ann = await tenant.member_client(app, "member")
    await comment(tenant.client, made.objective["id"], f"Alone, {mention('Ann', ann)}")
    first = await comment(tenant.client, made.key_result["id"], "Top", "key_result")
    for i in range(49):
        parent = {"parent_id": first["id"]} if i % 2 else {}
        body = f"Comment {i} for {mention('Ann', ann)} and {mention('Olive', tenant.owner_id)}"
        await comment(tenant.client, made.key_result["id"], body, "key_result", **parent)
    counts = []
    for target_type, target_id, expected in (
        ("objective", made.objective["id"], 1),
        ("key_result", made.key_result["id"], 50),
    ):
        with StatementCounter(app) as counter:
            response = await tenant.client.get(
                "/api/v1/comments", params={"target_type": target_type, "target_id": target_id, "limit": 50}
            )
        items = response.json()["items"]
        assert len(items) == expected
        assert all(c["mentions"] for c in items[1:]) if expected == 50 else items[0]["mentions"]
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts
