"""The inbox through the API: mentions, comments on what you own, status changes; read, read-all, counts."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI

from tests.support import SignUp, Tenant, create

from .helpers import inbox_of, mention, owned_by, prefer


async def test_a_mention_notifies_the_mentioned_member_once_and_not_the_author(app: FastAPI, tenant: Tenant) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    body = f"Can you look, {mention('Ann', ann)}? Also {mention('Me', tenant.owner_id)} and {mention('Ann', ann)}"
    written = await create(
        tenant.client, "/api/v1/comments", {"target_type": "objective", "target_id": objective["id"], "body": body}
    )
    page = await inbox_of(ann_client)
    assert [(n["kind"], n["object_id"]) for n in page["items"]] == [("mentioned", written["id"])]
    only = page["items"][0]
    assert only["title"] == "Win the market"
    assert only["path"] == f"/objectives/{objective['id']}"
    assert only["summary"].startswith("Olive Owner mentioned you: Can you look, @Ann?")
    assert only["read_at"] is None and page["unread_count"] == 1
    # The author mentioned themselves and owns the objective: nothing for them.
    assert (await inbox_of(tenant.client))["items"] == []
    # An edit that keeps the mention notifies nobody again; a new mention in an edit does.
    _, bob = await tenant.member_client(app, "member")
    edited = await tenant.client.patch(
        f"/api/v1/comments/{written['id']}",
        json={"body": body + f" and {mention('Bob', bob)}"},
        headers={"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert len((await inbox_of(ann_client))["items"]) == 1


async def test_a_comment_on_what_you_own_notifies_the_owner_once_even_when_mentioned(
    app: FastAPI, tenant: Tenant
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, kr = await owned_by(tenant.client, ann)
    check_in = await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 10})
    for target_type, target in (("objective", objective), ("key_result", kr), ("check_in", check_in)):
        await create(
            tenant.client, "/api/v1/comments", {"target_type": target_type, "target_id": target["id"], "body": "Hm"}
        )
    await create(
        tenant.client,
        "/api/v1/comments",
        {"target_type": "key_result", "target_id": kr["id"], "body": f"Over to you {mention('Ann', ann)}"},
    )
    kinds = [
        n["kind"] for n in (await inbox_of(ann_client, unread_only=True))["items"] if n["object_type"] == "comment"
    ]
    assert sorted(kinds) == ["comment_on_owned"] * 3 + ["mentioned"]
    titles = {n["title"] for n in (await inbox_of(ann_client))["items"] if n["kind"] == "comment_on_owned"}
    assert titles == {"Win the market", "Signed deals", "Check-in on Signed deals"}
    # Her own comment on her own key result notifies nobody.
    await create(ann_client, "/api/v1/comments", {"target_type": "key_result", "target_id": kr["id"], "body": "Me"})
    assert len([n for n in (await inbox_of(ann_client))["items"] if n["object_type"] == "comment"]) == 4


async def test_status_changes_notify_the_owner_of_the_key_result_and_objective(app: FastAPI, tenant: Tenant) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, kr = await owned_by(tenant.client, ann)
    for value in (100, 1, 100):
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value})
    kr_events = (
        await tenant.client.get(
            "/api/v1/events", params={"object_id": kr["id"], "type": "key_result.status_changed", "limit": 200}
        )
    ).json()["items"]
    objective_events = (
        await tenant.client.get(
            "/api/v1/events",
            params={"object_id": objective["id"], "type": "objective.status_changed", "limit": 200},
        )
    ).json()["items"]
    assert len(kr_events) >= 2 and len(objective_events) >= 2
    items = (await inbox_of(ann_client))["items"]
    by_kind = {kind: [n for n in items if n["kind"] == kind] for kind in ("key_result_status", "objective_status")}
    assert {n["event_id"] for n in by_kind["key_result_status"]} == {e["id"] for e in kr_events}
    assert {n["event_id"] for n in by_kind["objective_status"]} == {e["id"] for e in objective_events}
    assert "Your key result “Signed deals” is now" in by_kind["key_result_status"][0]["summary"]


async def test_read_one_read_all_and_the_unread_count(app: FastAPI, tenant: Tenant) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    for n in range(3):
        await create(
            tenant.client,
            "/api/v1/comments",
            {"target_type": "objective", "target_id": objective["id"], "body": f"{n} {mention('Ann', ann)}"},
        )
    count = await ann_client.get("/api/v1/me/notifications/unread-count")
    assert count.json() == {"unread_count": 3}
    newest = (await inbox_of(ann_client))["items"]
    assert [n["summary"].split(": ")[1] for n in newest] == ["2 @Ann", "1 @Ann", "0 @Ann"]  # newest first
    read = await ann_client.post(f"/api/v1/me/notifications/{newest[0]['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await ann_client.post(f"/api/v1/me/notifications/{newest[0]['id']}/read")
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = await inbox_of(ann_client, unread_only=True)
    assert unread["unread_count"] == 2 and {n["id"] for n in unread["items"]} == {n["id"] for n in newest[1:]}
    pages = await ann_client.get("/api/v1/me/notifications", params={"limit": 2})
    assert len(pages.json()["items"]) == 2 and pages.json()["next_cursor"]
    rest = await ann_client.get("/api/v1/me/notifications", params={"limit": 2, "cursor": pages.json()["next_cursor"]})
    assert [n["id"] for n in rest.json()["items"]] == [newest[2]["id"]]
    assert (await ann_client.post("/api/v1/me/notifications/read-all")).status_code == 200
    assert (await ann_client.get("/api/v1/me/notifications/unread-count")).json() == {"unread_count": 0}
    # The owner cannot mark Ann's notification: it is not theirs (404, as if absent).
    assert (await tenant.client.post(f"/api/v1/me/notifications/{newest[0]['id']}/read")).status_code == 404


async def test_another_organisations_notification_is_404(app: FastAPI, tenant: Tenant, signup: SignUp) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, tenant.owner_id)
    await create(
        tenant.client,
        "/api/v1/comments",
        {"target_type": "objective", "target_id": objective["id"], "body": mention("Ann", ann)},
    )
    theirs = (await inbox_of(ann_client))["items"][0]["id"]
    other = await signup("Other Org")
    for path in (f"/api/v1/me/notifications/{theirs}/read", f"/api/v1/me/notifications/{uuid.uuid4()}/read"):
        response = await other.client.post(path)
        assert response.status_code == 404, response.text
    assert (await inbox_of(other.client))["items"] == []
    assert (await inbox_of(ann_client))["items"][0]["read_at"] is None


async def test_off_means_nothing_and_deactivated_members_get_nothing(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    _, gone = await tenant.member_client(app, "member")
    objective, _ = await owned_by(tenant.client, gone)
    assert (await prefer(ann_client, mentioned="off"))["mentioned"] == "off"
    assert (await tenant.client.delete(f"/api/v1/members/{gone}")).status_code == 204
    await create(
        tenant.client,
        "/api/v1/comments",
        {"target_type": "objective", "target_id": objective["id"], "body": f"{mention('A', ann)}"},
    )
    assert (await inbox_of(ann_client))["items"] == []
    rows = await owner_connection.fetchval(
        "SELECT count(*) FROM notifications WHERE org_id = $1 AND user_id = ANY($2::uuid[])",
        uuid.UUID(tenant.org_id),
        [uuid.UUID(ann), uuid.UUID(gone)],
    )
    assert rows == 0
    preferences = (await ann_client.get("/api/v1/me/notification-preferences")).json()
    assert preferences == {
        "mentioned": "off",
        "comment_on_owned": "in_app",
        "key_result_status": "in_app",
        "objective_status": "in_app",
        "check_in_due": "email",
        "team_weekly_summary": "email",
    }
    bad = await ann_client.put("/api/v1/me/notification-preferences", json={"mentioned": "pigeon"})
    assert bad.status_code == 422
