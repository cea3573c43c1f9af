"""Comments as resources: on each kind of target, read back with an ETag, listed oldest first, bounded, by role."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI

from tests.comments.helpers import comment, targets, thread
from tests.support import Tenant


async def test_a_comment_on_each_kind_of_target_reads_back_with_its_etag_and_location(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    for target_type, target in (
        ("objective", made.objective),
        ("key_result", made.key_result),
        ("check_in", made.check_in),
    ):
        response = await tenant.client.post(
            "/api/v1/comments",
            json={"target_type": target_type, "target_id": target["id"], "body": f"On the **{target_type}**"},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"].endswith(f"/api/v1/comments/{created['id']}")
        assert (created["target_type"], created["target_id"], created["parent_id"]) == (
            target_type,
            target["id"],
            None,
        )
        assert (created["author_id"], created["actor"]) == (tenant.owner_id, f"user:{tenant.owner_id}")
        assert created["body"] == f"On the **{target_type}**"
        assert created["body_html"] == f"<p>On the <strong>{target_type}</strong></p>\n"
        assert (created["deleted"], created["edited_at"], created["mentions"]) == (False, None, [])
        got = await tenant.client.get(f"/api/v1/comments/{created['id']}")
        assert got.json() == created and got.headers["etag"] == '"1"'
        assert [c["id"] for c in await thread(tenant.client, target["id"], target_type)] == [created["id"]]


async def test_a_missing_target_is_a_404_naming_it(tenant: Tenant) -> None:
    for target_type, name in (("objective", "objective"), ("key_result", "key result"), ("check_in", "check-in")):
        body = {"target_type": target_type, "target_id": str(uuid.uuid4()), "body": "Hello"}
        response = await tenant.client.post("/api/v1/comments", json=body)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == f"{name} not found"
        listed = await tenant.client.get(
            "/api/v1/comments", params={"target_type": target_type, "target_id": body["target_id"]}
        )
        assert listed.status_code == 404 and listed.json()["detail"] == f"{name} not found"
    made = await targets(tenant.client)
    # An id of one kind is no target of another.
    wrong_kind = await tenant.client.post(
        "/api/v1/comments", json={"target_type": "key_result", "target_id": made.objective["id"], "body": "x"}
    )
    assert wrong_kind.status_code == 404
    unknown_kind = await tenant.client.post(
        "/api/v1/comments", json={"target_type": "initiative", "target_id": made.objective["id"], "body": "x"}
    )
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["errors"][0]["loc"] == ["body", "target_type"]


async def test_the_body_is_bounded_and_never_blank(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    made = await targets(tenant.client)
    objective_id = made.objective["id"]
    longest = await comment(tenant.client, objective_id, "x" * 10_000)
    assert len(longest["body"]) == 10_000
    for bad in ("x" * 10_001, "", "  \n\t ", "bell \x07"):
        response = await tenant.client.post(
            "/api/v1/comments", json={"target_type": "objective", "target_id": objective_id, "body": bad}
        )
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["body", "body"]
    unknown_field = await tenant.client.post(
        "/api/v1/comments", json={"target_type": "objective", "target_id": objective_id, "body": "x", "author_id": "y"}
    )
    assert unknown_field.status_code == 422
    stored = await owner_connection.fetchval(
        "SELECT count(*) FROM comments WHERE org_id = $1", uuid.UUID(tenant.org_id)
    )
    assert stored == 1


async def test_listing_is_oldest_first_with_cursor_pages(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    objective_id = made.objective["id"]
    written = [(await comment(tenant.client, objective_id, f"Comment {i}"))["id"] for i in range(7)]
    other = await comment(tenant.client, made.key_result["id"], "Elsewhere", "key_result")
    seen: list[str] = []
    params = {"target_type": "objective", "target_id": objective_id, "limit": 3}
    pages = 0
    while True:
        page = (await tenant.client.get("/api/v1/comments", params=params)).json()
        pages += 1
        assert len(page["items"]) <= 3
        seen += [c["id"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == written and pages == 3
    assert other["id"] not in seen
    bad_cursor = await tenant.client.get(
        "/api/v1/comments", params={"target_type": "objective", "target_id": objective_id, "cursor": "nope"}
    )
    assert bad_cursor.status_code == 422


async def test_viewers_read_comments_but_do_not_write_them(app: FastAPI, tenant: Tenant) -> None:
    made = await targets(tenant.client)
    written = await comment(tenant.client, made.objective["id"], "For everyone to read")
    viewer, _ = await tenant.member_client(app, "viewer")
    assert [c["id"] for c in await thread(viewer, made.objective["id"])] == [written["id"]]
    assert (await viewer.get(f"/api/v1/comments/{written['id']}")).status_code == 200
    refused = await viewer.post(
        "/api/v1/comments", json={"target_type": "objective", "target_id": made.objective["id"], "body": "Me too"}
    )
    assert refused.status_code == 403
    assert len(await thread(tenant.client, made.objective["id"])) == 1
    member, member_id = await tenant.member_client(app, "member")
    by_member = await comment(member, made.objective["id"], "A member writes")
    assert by_member["author_id"] == member_id


async def test_an_api_key_writes_as_the_member_who_made_it(app: FastAPI, tenant: Tenant) -> None:
    made = await targets(tenant.client)
    tool, key_id = await tenant.api_key_client(app, ["read", "write"])
    written = await comment(tool, made.objective["id"], "Posted by the CRM sync")
    assert (written["author_id"], written["actor"]) == (tenant.owner_id, f"api_key:{key_id}")
    reader, _ = await tenant.api_key_client(app, ["read"])
    refused = await reader.post(
        "/api/v1/comments", json={"target_type": "objective", "target_id": made.objective["id"], "body": "x"}
    )
    assert refused.status_code == 403
    assert (await reader.get(f"/api/v1/comments/{written['id']}")).json()["body"] == "Posted by the CRM sync"
