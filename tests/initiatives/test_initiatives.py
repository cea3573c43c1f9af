"""Initiatives as resources: create, read, edit with If-Match, delete only without spend, filters, events."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI
from tests.initiatives.helpers import initiative, key_results, spend
from tests.support import FixedClock, StatementCounter, Tenant, create, okr_setup


async def test_create_with_every_field_and_read_back_with_an_etag(tenant: Tenant) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen"})
    created = await tenant.client.post(
        "/api/v1/initiatives",
        json={
            "title": "Webinar series",
            "description": "Six webinars with partners",
            "kind": "program",
            "team_id": team["id"],
            "state": "in_progress",
            "start_date": "2026-02-01",
            "end_date": "2026-06-30",
            "planned_budget": "12000.00",
        },
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    body = created.json()
    assert body["owner_id"] == tenant.owner_id  # the caller by default
    got = await tenant.client.get(f"/api/v1/initiatives/{body['id']}")
    assert got.headers["etag"] == '"1"'
    assert got.json() == body
    assert {k: body[k] for k in ("kind", "state", "team_id", "start_date", "end_date", "planned_budget")} == {
        "kind": "program",
        "state": "in_progress",
        "team_id": team["id"],
        "start_date": "2026-02-01",
        "end_date": "2026-06-30",
        "planned_budget": "12000.00",
    }


async def test_invalid_dates_owner_and_team_are_refused(tenant: Tenant) -> None:
    bad_dates = await tenant.client.post(
        "/api/v1/initiatives", json={"title": "x", "start_date": "2026-05-02", "end_date": "2026-05-01"}
    )
    assert bad_dates.status_code == 422
    assert bad_dates.json()["errors"][0]["loc"] == ["body", "end_date"]
    one_day = await tenant.client.post(
        "/api/v1/initiatives", json={"title": "x", "start_date": "2026-05-01", "end_date": "2026-05-01"}
    )
    assert one_day.status_code == 201
    stranger = await tenant.client.post("/api/v1/initiatives", json={"title": "x", "owner_id": str(uuid.uuid4())})
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["loc"] == ["body", "owner_id"]
    no_team = await tenant.client.post("/api/v1/initiatives", json={"title": "x", "team_id": str(uuid.uuid4())})
    assert no_team.status_code == 404
    bad_kind = await tenant.client.post("/api/v1/initiatives", json={"title": "x", "kind": "stunt"})
    assert bad_kind.status_code == 422


async def test_patch_requires_if_match_and_refuses_stale_versions(tenant: Tenant) -> None:
    campaign = await initiative(tenant.client, start_date="2026-03-01")
    url = f"/api/v1/initiatives/{campaign['id']}"
    assert (await tenant.client.patch(url, json={"title": "Renamed"})).status_code == 428
    edited = await tenant.client.patch(
        url, json={"title": "Renamed", "state": "in_progress", "planned_budget": 1500}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200
    assert edited.headers["etag"] == '"2"'
    assert (edited.json()["title"], edited.json()["planned_budget"]) == ("Renamed", "1500.00")
    stale = await tenant.client.patch(url, json={"title": "Lost update"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    before_start = await tenant.client.patch(url, json={"end_date": "2026-02-01"}, headers={"If-Match": '"2"'})
    assert before_start.status_code == 422
    null_title = await tenant.client.patch(url, json={"title": None}, headers={"If-Match": '"2"'})
    assert null_title.status_code == 422
    cleared = await tenant.client.patch(url, json={"start_date": None}, headers={"If-Match": '"2"'})
    assert cleared.json()["start_date"] is None
    assert (await tenant.client.get(url)).json()["title"] == "Renamed"


async def test_delete_removes_an_initiative_without_spend_and_refuses_one_with_spend(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    _, (kr,) = await key_results(tenant.client, 1)
    idea = await initiative(tenant.client, key_results=[{"key_result_id": kr["id"]}])
    spent = await initiative(tenant.client)
    await spend(tenant.client, spent["id"], "10.00")
    assert (await tenant.client.delete(f"/api/v1/initiatives/{idea['id']}")).status_code == 428
    assert (
        await tenant.client.delete(f"/api/v1/initiatives/{idea['id']}", headers={"If-Match": '"9"'})
    ).status_code == 412
    deleted = await tenant.client.delete(f"/api/v1/initiatives/{idea['id']}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    assert (await tenant.client.get(f"/api/v1/initiatives/{idea['id']}")).status_code == 404
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM initiative_key_results WHERE initiative_id = $1", uuid.UUID(idea["id"])
        )
        == 0
    )
    refused = await tenant.client.delete(f"/api/v1/initiatives/{spent['id']}", headers={"If-Match": '"1"'})
    assert refused.status_code == 409
    assert "dropped" in refused.json()["detail"]
    dropped = await tenant.client.patch(
        f"/api/v1/initiatives/{spent['id']}", json={"state": "dropped"}, headers={"If-Match": '"1"'}
    )
    assert (dropped.json()["state"], dropped.json()["actual_spend"]) == ("dropped", "10.00")


async def test_every_change_writes_its_event(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    _, (kr,) = await key_results(tenant.client, 1)
    campaign = await initiative(tenant.client)
    url = f"/api/v1/initiatives/{campaign['id']}"
    await tenant.client.patch(url, json={"title": "Renamed"}, headers={"If-Match": '"1"'})
    await tenant.client.put(
        f"{url}/key-results",
        json={"key_results": [{"key_result_id": kr["id"], "share": 0.5}]},
        headers={"If-Match": '"2"'},
    )
    entry = await spend(tenant.client, campaign["id"], "12.34")
    # A refused request writes nothing.
    assert (await tenant.client.post(f"{url}/spend", json={"amount": -1})).status_code == 422
    spare = await initiative(tenant.client, title="Spare")
    await tenant.client.delete(f"/api/v1/initiatives/{spare['id']}", headers={"If-Match": '"1"'})
    log = (await tenant.client.get("/api/v1/events", params={"type": "initiative.*"})).json()["items"]
    assert [(e["type"], e["object_id"]) for e in log] == [
        ("initiative.created", campaign["id"]),
        ("initiative.updated", campaign["id"]),
        ("initiative.linked", campaign["id"]),
        ("initiative.spend_recorded", campaign["id"]),
        ("initiative.created", spare["id"]),
        ("initiative.deleted", spare["id"]),
    ]
    created, updated, linked, recorded, _, deleted = log
    assert created["after"]["planned_budget"] == "1000.00"
    assert (updated["before"]["title"], updated["after"]["title"]) == ("Spring campaign", "Renamed")
    assert linked["before"]["key_results"] == []
    assert linked["after"]["key_results"][0] == {
        "key_result_id": kr["id"],
        "key_result_title": kr["title"],
        "objective_id": kr["objective_id"],
        "objective_title": "Grow demand",
        "share": "0.5000",
        "effective_share": "0.5000",
        "allocated_budget": "500.00",
        "allocated_spend": "0.00",
    }
    assert recorded["after"] == entry
    assert recorded["actor"] == f"user:{tenant.owner_id}"
    assert (deleted["before"]["title"], deleted["after"]) == ("Spare", None)


async def test_list_filters(app: FastAPI, tenant: Tenant) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Brand"})
    _, member_id = await tenant.member_client(app, "member")
    cycle_a, (kr_a,) = await key_results(tenant.client, 1)
    cycle_b, (kr_b,) = await key_results(tenant.client, 1)
    objective_b = kr_b["objective_id"]
    linked_a = await initiative(tenant.client, title="A", key_results=[{"key_result_id": kr_a["id"]}])
    linked_b = await initiative(
        tenant.client, title="B", kind="task", state="in_progress", key_results=[{"key_result_id": kr_b["id"]}]
    )
    loose = await initiative(tenant.client, title="Loose", team_id=team["id"], owner_id=member_id)

    async def titles(**params: object) -> list[str]:
        response = await tenant.client.get("/api/v1/initiatives", params=params)
        assert response.status_code == 200, response.text
        return [i["title"] for i in response.json()["items"]]

    assert await titles() == ["A", "B", "Loose"]
    assert await titles(cycle_id=cycle_a["id"]) == ["A"]
    assert await titles(key_result_id=kr_b["id"]) == ["B"]
    assert await titles(objective_id=objective_b) == ["B"]
    assert await titles(linked="false") == ["Loose"]
    assert await titles(linked="true") == ["A", "B"]
    assert await titles(team_id=team["id"]) == ["Loose"]
    assert await titles(owner_id=member_id) == ["Loose"]
    assert await titles(state="in_progress") == ["B"]
    assert await titles(kind="task") == ["B"]
    assert await titles(kind="campaign", cycle_id=cycle_b["id"]) == []
    page = (await tenant.client.get("/api/v1/initiatives", params={"limit": 2})).json()
    rest = (await tenant.client.get("/api/v1/initiatives", params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [linked_a["id"], linked_b["id"], loose["id"]]
    assert (await tenant.client.get("/api/v1/initiatives", params={"state": "paused"})).status_code == 422


async def _initiatives_with_links_and_spend(tenant: Tenant, count: int) -> str:
    okr = await okr_setup(tenant.client)
    krs = [
        await create(
            tenant.client,
            "/api/v1/key-results",
            {"objective_id": okr.objective["id"], "title": f"KR {i}", "target_value": 10},
        )
        for i in range(3)
    ]
    for i in range(count):
        links = [{"key_result_id": kr["id"], "share": "0.2" if j == 0 else None} for j, kr in enumerate(krs)]
        created = await initiative(tenant.client, title=f"I{i}", key_results=links)
        await spend(tenant.client, created["id"], f"{i + 1}.25")
    return str(okr.cycle["id"])


async def test_listing_issues_the_same_number_of_statements_for_2_or_25_initiatives(
    app: FastAPI, signup: object
) -> None:
    counts = []
    for size in (2, 25):
        tenant = await signup()  # type: ignore[operator]
        cycle_id = await _initiatives_with_links_and_spend(tenant, size)
        with StatementCounter(app) as counter:
            response = await tenant.client.get(
                "/api/v1/initiatives", params={"limit": 200, "cycle_id": cycle_id, "as_of": "2030-01-01"}
            )
        items = response.json()["items"]
        assert len(items) == size
        assert all(len(i["key_results"]) == 3 for i in items)
        last = items[-1]
        assert last["actual_spend"] == f"{size}.25"
        counts.append(counter.count)
    print(f"initiative list statements for 2 and 25 initiatives: {counts}")
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6, counts


async def test_viewers_read_and_api_keys_record_spend(app: FastAPI, tenant: Tenant) -> None:
    campaign = await initiative(tenant.client)
    viewer, _ = await tenant.member_client(app, "viewer")
    assert (await viewer.get(f"/api/v1/initiatives/{campaign['id']}")).status_code == 200
    assert (await viewer.post("/api/v1/initiatives", json={"title": "x"})).status_code == 403
    assert (await viewer.post(f"/api/v1/initiatives/{campaign['id']}/spend", json={"amount": 1})).status_code == 403
    tool, key_id = await tenant.api_key_client(app, ["read", "write"])
    entry = await spend(tool, campaign["id"], "99.99", note="synced from the ERP")
    assert (entry["actor"], entry["author_id"]) == (f"api_key:{key_id}", None)
    assert (await tool.get(f"/api/v1/initiatives/{campaign['id']}")).json()["actual_spend"] == "99.99"
