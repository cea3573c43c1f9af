"""KPIs through the API: status from the healthy range in both directions, values over time, events, a key
result following a KPI, tenancy, bounded statements."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
from alembic import command
from fastapi import FastAPI
from tests.support import FixedClock, SignUp, StatementCounter, Tenant, create, okr_setup

from sightline.db.migrate import alembic_config, upgrade

# Marketing-sourced pipeline: higher is better, healthy from 1,000, critical under 700.
PIPELINE = {"name": "Marketing-sourced pipeline", "unit": "k€", "direction": "higher_is_better", "healthy_min": 1000}
# Customer acquisition cost: lower is better, healthy up to 300, critical over 400.
CAC = {"name": "CAC", "unit": "€", "direction": "lower_is_better", "healthy_max": 300, "critical_max": 400}


async def kpi(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return await create(client, "/api/v1/kpis", {**PIPELINE, "critical_min": 700, **fields})


async def record(client: httpx.AsyncClient, kpi_id: str, value: float, **fields: Any) -> httpx.Response:
    return await client.post(f"/api/v1/kpis/{kpi_id}/values", json={"value": value, **fields})


async def status_after(client: httpx.AsyncClient, kpi_id: str, value: float, at: str) -> str | None:
    response = await record(client, kpi_id, value, recorded_at=at)
    assert response.status_code == 201, response.text
    status: str | None = (await client.get(f"/api/v1/kpis/{kpi_id}")).json()["status"]
    return status


async def test_status_from_the_range_where_higher_is_better(tenant: Tenant, clock: FixedClock) -> None:
    pipeline = await kpi(tenant.client, healthy_max=5000)
    assert (pipeline["status"], pipeline["latest_value"], pipeline["owner_id"]) == (None, None, tenant.owner_id)
    assert pipeline["cadence"] == "monthly"
    steps = [
        (1200, "healthy"),
        (1000, "healthy"),  # the bounds are inclusive
        (999, "warning"),
        (700, "warning"),
        (650, "critical"),
        (5200, "warning"),  # above healthy_max without critical_max: it only warns
    ]
    for day, (value, expected) in enumerate(steps, start=1):
        assert await status_after(tenant.client, pipeline["id"], value, f"2026-06-0{day}T09:00:00Z") == expected


async def test_status_from_the_range_where_lower_is_better(tenant: Tenant, clock: FixedClock) -> None:
    cac = await create(tenant.client, "/api/v1/kpis", CAC)
    steps = [(250, "healthy"), (300, "healthy"), (350, "warning"), (400, "warning"), (450, "critical"), (10, "healthy")]
    for day, (value, expected) in enumerate(steps, start=1):
        assert await status_after(tenant.client, cac["id"], value, f"2026-06-0{day}T09:00:00Z") == expected
    critical = await tenant.client.get("/api/v1/kpis", params={"status": "healthy"})
    assert [k["id"] for k in critical.json()["items"]] == [cac["id"]]


async def test_a_range_must_fit_its_direction(tenant: Tenant) -> None:
    cases = [
        ({**CAC, "healthy_max": None}, "healthy_max"),
        ({**PIPELINE, "healthy_min": None, "healthy_max": 10}, "healthy_min"),
        ({**CAC, "critical_max": 200}, "critical_max"),
        ({**PIPELINE, "critical_min": 1500}, "critical_min"),
        ({**PIPELINE, "healthy_max": 10}, "healthy_max"),
        ({**PIPELINE, "direction": "sideways"}, "direction"),
        ({**PIPELINE, "healthy_min": "a lot"}, "healthy_min"),
        ({**PIPELINE, "owner_id": str(uuid.uuid4())}, "owner_id"),
    ]
    for body, field in cases:
        refused = await tenant.client.post("/api/v1/kpis", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert ["body", field] in [e["loc"][:2] for e in refused.json()["errors"]], refused.text
    no_team = await tenant.client.post("/api/v1/kpis", json={**PIPELINE, "team_id": str(uuid.uuid4())})
    assert no_team.status_code == 404


async def test_values_newest_first_one_per_time_point(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-06-30T12:00:00+00:00")
    pipeline = await kpi(tenant.client)
    for day in ("10", "20", "05"):
        assert (
            await record(tenant.client, pipeline["id"], int(day) * 100, recorded_at=f"2026-06-{day}T00:00:00Z")
        ).status_code == 201
    same_point = await record(tenant.client, pipeline["id"], 1, recorded_at="2026-06-10T02:00:00+02:00")
    assert same_point.status_code == 409
    future = await record(tenant.client, pipeline["id"], 1, recorded_at="2026-07-02T00:00:00Z")
    assert future.status_code == 422
    naive = await record(tenant.client, pipeline["id"], 1, recorded_at="2026-06-11T00:00:00")
    assert naive.status_code == 422
    url = f"/api/v1/kpis/{pipeline['id']}/values"
    first = (await tenant.client.get(url, params={"limit": 2})).json()
    second = (await tenant.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [v["value"] for v in first["items"] + second["items"]] == [2000, 1000, 500]
    assert second["next_cursor"] is None
    assert first["items"][0]["source"] == "manual" and first["items"][0]["author_id"] == tenant.owner_id
    # The latest value is the latest time point, not the last one recorded (the 5th came in after the 20th).
    read = (await tenant.client.get(f"/api/v1/kpis/{pipeline['id']}")).json()
    assert (read["latest_value"], read["latest_recorded_at"], read["status"]) == (
        2000,
        "2026-06-20T00:00:00Z",
        "healthy",
    )
    now = await record(tenant.client, pipeline["id"], 42)
    assert now.json()["recorded_at"] == "2026-06-30T12:00:00Z"
    assert (await tenant.client.get(f"/api/v1/kpis/{uuid.uuid4()}/values")).status_code == 404


async def test_edit_archive_and_events(tenant: Tenant, clock: FixedClock) -> None:
    pipeline = await kpi(tenant.client)
    url = f"/api/v1/kpis/{pipeline['id']}"
    await status_after(tenant.client, pipeline["id"], 900, "2026-06-01T00:00:00Z")  # warning: no status event
    await status_after(tenant.client, pipeline["id"], 1100, "2026-06-02T00:00:00Z")  # healthy
    assert (await tenant.client.patch(url, json={"name": "Pipeline"})).status_code == 428
    raised = await tenant.client.patch(
        url, json={"healthy_min": 2000, "critical_min": 1500}, headers={"If-Match": '"1"'}
    )
    assert raised.status_code == 200 and raised.headers["etag"] == '"2"'
    assert raised.json()["status"] == "critical"  # the same latest value, judged by the new range
    stale = await tenant.client.patch(url, json={"name": "Lost"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    null_name = await tenant.client.patch(url, json={"name": None}, headers={"If-Match": '"2"'})
    assert null_name.status_code == 422
    assert (await tenant.client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert (await record(tenant.client, pipeline["id"], 5)).status_code == 409  # archived
    assert (await tenant.client.get("/api/v1/kpis")).json()["items"] == []
    listed = (await tenant.client.get("/api/v1/kpis", params={"include_archived": True})).json()["items"]
    assert [k["archived"] for k in listed] == [True]
    restored = await tenant.client.patch(url, json={"archived": False}, headers={"If-Match": '"3"'})
    assert restored.json()["archived"] is False
    log = (await tenant.client.get("/api/v1/events", params={"object_id": pipeline["id"], "limit": 50})).json()
    types = [e["type"] for e in log["items"]]
    assert types == [
        "kpi.created",
        "kpi.value_recorded",
        "kpi.status_changed",  # none → warning
        "kpi.value_recorded",
        "kpi.status_changed",  # warning → healthy
        "kpi.updated",
        "kpi.status_changed",  # healthy → critical by the new range
        "kpi.updated",  # archived
        "kpi.updated",  # restored
    ]
    changes = [e for e in log["items"] if e["type"] == "kpi.status_changed"]
    assert [(e["before"]["status"], e["after"]["status"]) for e in changes] == [
        (None, "warning"),
        ("warning", "healthy"),
        ("healthy", "critical"),
    ]
    catalogue = {t["type"] for t in (await tenant.client.get("/api/v1/event-types")).json()["items"]}
    assert {"kpi.created", "kpi.updated", "kpi.value_recorded", "kpi.status_changed"} <= catalogue


async def test_a_key_result_following_a_kpi_updates_when_the_kpi_gets_a_value(
    tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-06-15T12:00:00+00:00")
    pipeline = await kpi(tenant.client)
    okr = await okr_setup(tenant.client)
    kr_body = {
        "objective_id": okr.objective["id"],
        "title": "Pipeline to 3,000",
        "start_value": 0,
        "target_value": 3000,
    }
    follower = await create(tenant.client, "/api/v1/key-results", {**kr_body, "follows_kpi_id": pipeline["id"]})
    assert follower["follows_kpi_id"] == pipeline["id"]
    bystander = await create(tenant.client, "/api/v1/key-results", kr_body)
    planning = await create(
        tenant.client, "/api/v1/cycles", {"name": "Next", "start_date": "2027-01-01", "end_date": "2027-03-31"}
    )
    draft_objective = await create(
        tenant.client, "/api/v1/objectives", {"cycle_id": planning["id"], "title": "Later", "level": "company"}
    )
    draft = await create(
        tenant.client,
        "/api/v1/key-results",
        {**kr_body, "objective_id": draft_objective["id"], "follows_kpi_id": pipeline["id"]},
    )
    assert (await record(tenant.client, pipeline["id"], 1500, note="CRM export")).status_code == 201

    followed = (await tenant.client.get(f"/api/v1/key-results/{follower['id']}")).json()
    assert (followed["current_value"], followed["progress"], followed["follows_kpi_id"]) == (1500, 0.5, pipeline["id"])
    history = (await tenant.client.get(f"/api/v1/key-results/{follower['id']}/check-ins")).json()["items"]
    assert [(c["value"], c["source"], c["note"]) for c in history] == [(1500, "kpi", "CRM export")]
    assert (await tenant.client.get(f"/api/v1/key-results/{bystander['id']}")).json()["current_value"] == 0
    # A cycle in planning takes no check-ins: its key result waits, and the KPI's value is still recorded.
    assert (await tenant.client.get(f"/api/v1/key-results/{draft['id']}/check-ins")).json()["items"] == []

    # Unfollowed: the next value no longer reaches it.
    url = f"/api/v1/key-results/{follower['id']}"
    unfollowed = await tenant.client.patch(url, json={"follows_kpi_id": None}, headers={"If-Match": '"1"'})
    assert unfollowed.status_code == 200 and unfollowed.json()["follows_kpi_id"] is None
    assert (await record(tenant.client, pipeline["id"], 2500, recorded_at="2026-06-15T11:00:00Z")).status_code == 201
    assert (await tenant.client.get(url)).json()["current_value"] == 1500


async def test_what_a_key_result_may_follow(tenant: Tenant, clock: FixedClock) -> None:
    okr = await okr_setup(tenant.client)
    pipeline = await kpi(tenant.client)
    base = {"objective_id": okr.objective["id"], "title": "Follows", "target_value": 10}
    unknown = await tenant.client.post("/api/v1/key-results", json={**base, "follows_kpi_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "follows_kpi_id"]
    milestone = {**base, "metric": "milestone", "target_value": 4, "follows_kpi_id": pipeline["id"]}
    assert (await tenant.client.post("/api/v1/key-results", json=milestone)).status_code == 422
    kr = await create(tenant.client, "/api/v1/key-results", base)
    url = f"/api/v1/key-results/{kr['id']}"
    assert (
        await tenant.client.delete(f"/api/v1/kpis/{pipeline['id']}", headers={"If-Match": '"1"'})
    ).status_code == 204
    archived = await tenant.client.patch(url, json={"follows_kpi_id": pipeline["id"]}, headers={"If-Match": '"1"'})
    assert archived.status_code == 422 and "archived" in archived.text


async def test_another_organisations_kpis_are_invisible(signup: SignUp) -> None:
    a = await signup("Alpha")
    b = await signup("Beta")
    alpha = await kpi(a.client, name="Alpha pipeline")
    assert (await record(a.client, alpha["id"], 1200)).status_code == 201
    assert (await b.client.get(f"/api/v1/kpis/{alpha['id']}")).status_code == 404
    assert (await record(b.client, alpha["id"], 1)).status_code == 404
    assert (await b.client.get(f"/api/v1/kpis/{alpha['id']}/values")).status_code == 404
    assert "Alpha" not in (await b.client.get("/api/v1/kpis")).text
    okr = await okr_setup(b.client)
    follows = {"objective_id": okr.objective["id"], "title": "x", "target_value": 10, "follows_kpi_id": alpha["id"]}
    refused = await b.client.post("/api/v1/key-results", json=follows)
    assert refused.status_code == 422 and refused.json()["errors"][0]["message"].endswith("no such KPI")
    team = await create(a.client, "/api/v1/teams", {"name": "Alpha team"})
    assert (await b.client.post("/api/v1/kpis", json={**PIPELINE, "team_id": team["id"]})).status_code == 404


async def test_filters_and_bounded_statements(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen"})

    async def listed() -> int:
        with StatementCounter(app) as counter:
            response = await tenant.client.get("/api/v1/kpis", params={"limit": 200})
        assert response.status_code == 200
        return counter.count

    first = await kpi(tenant.client, team_id=team["id"])
    small = await listed()
    for n in range(5):
        await kpi(tenant.client, name=f"KPI {n}")
    assert await listed() == small
    by_team = (await tenant.client.get("/api/v1/kpis", params={"team_id": team["id"]})).json()["items"]
    assert [k["id"] for k in by_team] == [first["id"]]

    okr = await okr_setup(tenant.client)

    async def recorded(kpi_id: str, followers: int, day: str) -> int:
        for n in range(followers):
            body = {
                "objective_id": okr.objective["id"],
                "title": f"KR {n}",
                "target_value": 10,
                "follows_kpi_id": kpi_id,
            }
            await create(tenant.client, "/api/v1/key-results", body)
        with StatementCounter(app) as counter:
            assert (await record(tenant.client, kpi_id, 5, recorded_at=f"2026-06-{day}T00:00:00Z")).status_code == 201
        return counter.count

    one = await recorded(first["id"], 1, "01")
    other = await kpi(tenant.client, name="Other")
    assert await recorded(other["id"], 6, "02") == one
    krs = (await tenant.client.get("/api/v1/key-results", params={"cycle_id": okr.cycle["id"]})).json()["items"]
    assert sorted(kr["current_value"] for kr in krs) == [5.0] * 7


async def test_the_migration_goes_down_and_up_again(
    tenant: Tenant, owner_connection: asyncpg.Connection, owner_database_url: str
) -> None:
    with_value = await kpi(tenant.client, name="A KPI with a value: the downgrade drops it")
    assert (await record(tenant.client, with_value["id"], 1200)).status_code == 201

    def down_and_up() -> None:
        command.downgrade(alembic_config(owner_database_url), "0077")
        upgrade(owner_database_url)

    columns = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'key_results' AND column_name = $1"
    await asyncio.to_thread(down_and_up)
    assert await owner_connection.fetchval(columns, "follows_kpi_id") == 1
    forced = "SELECT relforcerowsecurity FROM pg_class WHERE relname = $1"
    assert [await owner_connection.fetchval(forced, table) for table in ("kpis", "kpi_values")] == [True, True]


async def test_the_scoreboard_counts_kpis_by_status(tenant: Tenant, clock: FixedClock) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen"})
    okr = await okr_setup(tenant.client)
    pipeline = await kpi(tenant.client, team_id=team["id"])
    cac = await create(tenant.client, "/api/v1/kpis", CAC)
    await kpi(tenant.client, name="No value yet")
    archived = await kpi(tenant.client, name="Archived")
    assert (
        await tenant.client.delete(f"/api/v1/kpis/{archived['id']}", headers={"If-Match": '"1"'})
    ).status_code == 204
    await status_after(tenant.client, pipeline["id"], 600, "2026-06-01T00:00:00Z")  # critical
    await status_after(tenant.client, cac["id"], 250, "2026-06-01T00:00:00Z")  # healthy
    board = (await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/scoreboard")).json()
    assert board["kpis"] == {"total": 3, "healthy": 1, "warning": 0, "critical": 1, "no_value": 1}
    by_team = await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/scoreboard", params={"team_id": team["id"]})
    assert by_team.json()["kpis"] == {"total": 1, "healthy": 0, "warning": 0, "critical": 1, "no_value": 0}


async def test_a_key_result_that_starts_following_a_kpi_takes_its_latest_value(
    tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-06-15T12:00:00+00:00")
    pipeline = await kpi(tenant.client)
    for value, at in ((900, "2025-12-20T00:00:00Z"), (1200, "2026-05-01T00:00:00Z"), (1400, "2026-06-01T00:00:00Z")):
        assert (await record(tenant.client, pipeline["id"], value, recorded_at=at, note=f"{at[:7]}")).status_code == 201
    okr = await okr_setup(tenant.client)  # the year 2026, active
    body = {"objective_id": okr.objective["id"], "title": "Pipeline to 3,000", "start_value": 0, "target_value": 3000}

    # Created following it: the answer already shows the newest value of the cycle, checked in at its time point.
    created = await create(tenant.client, "/api/v1/key-results", {**body, "follows_kpi_id": pipeline["id"]})
    assert (created["current_value"], created["progress"], created["last_check_in_at"]) == (
        1400,
        1400 / 3000,
        "2026-06-01T00:00:00Z",
    )
    history = (await tenant.client.get(f"/api/v1/key-results/{created['id']}/check-ins")).json()["items"]
    assert [(c["value"], c["source"], c["note"], c["backdated"]) for c in history] == [(1400, "kpi", "2026-06", True)]

    # Switched to follow it: the same, in the answer of the PATCH and on the next read.
    other = await create(tenant.client, "/api/v1/key-results", body)
    url = f"/api/v1/key-results/{other['id']}"
    switched = await tenant.client.patch(url, json={"follows_kpi_id": pipeline["id"]}, headers={"If-Match": '"1"'})
    assert switched.status_code == 200 and switched.json()["current_value"] == 1400
    assert (await tenant.client.get(url)).json()["current_value"] == 1400

    # Following again after a pause adds nothing twice.
    paused = await tenant.client.patch(url, json={"follows_kpi_id": None}, headers={"If-Match": '"2"'})
    assert paused.status_code == 200
    again = await tenant.client.patch(url, json={"follows_kpi_id": pipeline["id"]}, headers={"If-Match": '"3"'})
    assert again.status_code == 200 and again.json()["current_value"] == 1400
    assert len((await tenant.client.get(f"{url}/check-ins")).json()["items"]) == 1


async def test_a_follower_takes_nothing_it_could_not_take_from_the_kpi_either(
    tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-06-15T12:00:00+00:00")
    pipeline = await kpi(tenant.client)
    assert (await record(tenant.client, pipeline["id"], 1500, recorded_at="2026-06-01T00:00:00Z")).status_code == 201
    # A cycle in planning takes no check-ins; a cycle the value's time point lies outside takes none of it.
    planning = await create(
        tenant.client, "/api/v1/cycles", {"name": "Next", "start_date": "2027-01-01", "end_date": "2027-03-31"}
    )
    later = await okr_setup(tenant.client, start="2026-07-01", end="2026-09-30")
    for cycle_id in (planning["id"], later.cycle["id"]):
        objective = await create(
            tenant.client, "/api/v1/objectives", {"cycle_id": cycle_id, "title": "Later", "level": "company"}
        )
        follower = await create(
            tenant.client,
            "/api/v1/key-results",
            {
                "objective_id": objective["id"],
                "title": "Pipeline",
                "target_value": 3000,
                "follows_kpi_id": pipeline["id"],
            },
        )
        assert (follower["current_value"], follower["last_check_in_at"]) == (0, None)
        assert (await tenant.client.get(f"/api/v1/key-results/{follower['id']}/check-ins")).json()["items"] == []
