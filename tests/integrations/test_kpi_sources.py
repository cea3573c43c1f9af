"""Data sources feeding KPIs: scheduled and manual pulls record KPI values (status, events, the key results
following the KPI), previews, refusals, a SQL source's window, and migration 0079 going down and up."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from alembic import command
from fastapi import FastAPI
from tests.integrations.conftest import SourceServer
from tests.integrations.support import check_ins_of, runs_of
from tests.integrations.test_sql_source import crm_database, sql_fetchers  # noqa: F401 (fixtures)
from tests.support import FixedClock, SignUp, Tenant, create, okr_setup

from sightline.db.migrate import alembic_config, upgrade
from sightline.integrations.runs import Fetchers
from sightline.integrations.scheduler import pull_due

# Marketing-sourced pipeline: higher is better, healthy from 1,000, critical under 700.
PIPELINE = {
    "name": "Marketing-sourced pipeline",
    "unit": "k€",
    "direction": "higher_is_better",
    "healthy_min": 1000,
    "critical_min": 700,
}


async def kpi(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return await create(client, "/api/v1/kpis", {**PIPELINE, **fields})


def http_source(source: SourceServer) -> dict[str, Any]:
    return {"kind": "http", "url": f"{source.base}/pipeline", "json_path": "$.data.pipeline"}


async def kpi_integration(client: httpx.AsyncClient, kpi_id: str, source: dict[str, Any]) -> dict[str, Any]:
    body = {"name": f"crm-{uuid.uuid4().hex[:6]}", "kpi_id": kpi_id, "schedule": "daily", "source": source}
    return await create(client, "/api/v1/integrations", body)


async def values_of(client: httpx.AsyncClient, kpi_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/kpis/{kpi_id}/values")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_scheduled_pull_records_the_kpi_value_its_status_and_the_followers_check_in(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    factory = app.state.session_factory
    pipeline = await kpi(tenant.client)
    okr = await okr_setup(tenant.client, start="2026-01-01", end="2026-12-31")
    follower = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Pipeline to 3,000", "target_value": 3000}
        | {"follows_kpi_id": pipeline["id"]},
    )
    integration = await kpi_integration(tenant.client, pipeline["id"], http_source(source))
    name = integration["name"]
    assert (integration["kpi_id"], integration["key_result_id"], integration["status"]) == (
        pipeline["id"],
        None,
        "pending",
    )

    source.answer_json(b'{"data": {"pipeline": 1200}}')
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    read = (await tenant.client.get(f"/api/v1/kpis/{pipeline['id']}")).json()
    assert (read["latest_value"], read["status"]) == (1200, "healthy")
    [value] = await values_of(tenant.client, pipeline["id"])
    assert (value["value"], value["source"], value["actor"]) == (1200, name, f"integration:{integration['id']}")
    assert datetime.fromisoformat(value["recorded_at"]) == clock.now  # the run's time point
    # The key result following the KPI got the value as a check-in, as for a value sent to the API.
    assert [(r["value"], r["source"]) for r in await check_ins_of(owner_connection, follower["id"])] == [(1200, "kpi")]
    assert (await tenant.client.get(f"/api/v1/key-results/{follower['id']}")).json()["current_value"] == 1200

    # The same value a day later (within the KPI's monthly cadence): unchanged, no second value.
    clock.now += timedelta(days=1)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    assert len(await values_of(tenant.client, pipeline["id"])) == 1
    # A new value: recorded, and the status moves.
    source.answer_json(b'{"data": {"pipeline": 650}}')
    clock.now += timedelta(days=1)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    read = (await tenant.client.get(f"/api/v1/kpis/{pipeline['id']}")).json()
    assert (read["latest_value"], read["status"]) == (650, "critical")
    assert [v["value"] for v in await values_of(tenant.client, pipeline["id"])] == [650, 1200]
    assert [r["value"] for r in await check_ins_of(owner_connection, follower["id"])] == [1200, 650]

    runs = await runs_of(tenant.client, integration["id"])
    assert [(r["outcome"], r["value"], r["check_in_id"]) for r in runs] == [
        ("recorded", 650, None),
        ("unchanged", 1200, None),
        ("recorded", 1200, None),
    ]
    values = await values_of(tenant.client, pipeline["id"])
    assert [r["kpi_value_id"] for r in runs] == [values[0]["id"], None, values[1]["id"]]
    stored = (await tenant.client.get(f"/api/v1/integrations/{integration['id']}")).json()
    assert (stored["status"], stored["last_value"]) == ("ok", 650)
    events = (await tenant.client.get("/api/v1/events", params={"type": "kpi.*"})).json()["items"]
    assert [e["type"] for e in events if e["type"] != "kpi.created"] == [
        "kpi.value_recorded",
        "kpi.status_changed",
        "kpi.value_recorded",
        "kpi.status_changed",
    ]
    listed = await tenant.client.get("/api/v1/integrations", params={"kpi_id": pipeline["id"]})
    assert [i["id"] for i in listed.json()["items"]] == [integration["id"]]


async def test_manual_runs_previews_edits_and_an_archived_kpi(
    tenant: Tenant, clock: FixedClock, source: SourceServer, fetchers: Fetchers
) -> None:
    pipeline = await kpi(tenant.client)
    kpi_url = f"/api/v1/kpis/{pipeline['id']}"
    integration = await kpi_integration(tenant.client, pipeline["id"], http_source(source))
    run_url = f"/api/v1/integrations/{integration['id']}/run"
    source.answer_json(b'{"data": {"pipeline": 1100}}')

    # A value already stands at this very time point: the run records nothing and says why.
    assert (await tenant.client.post(f"{kpi_url}/values", json={"value": 900})).status_code == 201
    skipped = (await tenant.client.post(run_url)).json()
    assert skipped["outcome"] == "skipped" and "one value per time point" in skipped["error"]
    assert [v["value"] for v in await values_of(tenant.client, pipeline["id"])] == [900]

    clock.now += timedelta(hours=1)
    recorded = await tenant.client.post(run_url)
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["outcome"], recorded.json()["trigger"]) == ("recorded", "manual")
    assert (await tenant.client.get(kpi_url)).json()["latest_value"] == 1100

    preview_body = {"kpi_id": pipeline["id"], "source": http_source(source)}
    source.answer_json(b'{"data": {"pipeline": 1300}}')
    preview = (await tenant.client.post("/api/v1/integrations/preview", json=preview_body)).json()
    assert (preview["ok"], preview["value"], preview["current_value"], preview["would_skip"]) == (
        True,
        1300,
        1100,
        None,
    )

    renamed = await tenant.client.patch(f"/api/v1/integrations/{integration['id']}", json={"name": "crm-pipeline"})
    assert renamed.status_code == 200 and renamed.json()["kpi_id"] == pipeline["id"]

    version = (await tenant.client.get(kpi_url)).json()["version"]
    archived = await tenant.client.delete(kpi_url, headers={"If-Match": f'"{version}"'})
    assert archived.status_code == 204
    clock.now += timedelta(hours=1)
    skipped = (await tenant.client.post(run_url)).json()
    assert (skipped["outcome"], skipped["error"]) == ("skipped", "the KPI is archived")
    preview = (await tenant.client.post("/api/v1/integrations/preview", json=preview_body)).json()
    assert preview["would_skip"] == "the KPI is archived"
    assert (await tenant.client.get(kpi_url)).json()["latest_value"] == 1100

    deleted = await tenant.client.delete(f"/api/v1/integrations/{integration['id']}")
    assert deleted.status_code == 204
    assert len(await values_of(tenant.client, pipeline["id"])) == 2  # the values stay


async def test_what_an_integration_may_target(signup: SignUp, source: SourceServer, fetchers: Fetchers) -> None:
    a = await signup("Alpha")
    b = await signup("Beta")
    pipeline = await kpi(a.client)
    okr = await okr_setup(a.client)
    kr = await create(
        a.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 10}
    )
    body = {"name": "crm-pipeline", "source": http_source(source)}

    preview = {"source": body["source"]}
    for targets in ({"kpi_id": pipeline["id"], "key_result_id": kr["id"]}, {}):
        for url, base in (("/api/v1/integrations", body), ("/api/v1/integrations/preview", preview)):
            refused = await a.client.post(url, json={**base, **targets})
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert {tuple(e["loc"]) for e in refused.json()["errors"]} == {
                ("body", "key_result_id"),
                ("body", "kpi_id"),
            }
    # Another organisation's KPI does not exist for this one.
    for url, base in (("/api/v1/integrations", body), ("/api/v1/integrations/preview", preview)):
        assert (await b.client.post(url, json={**base, "kpi_id": pipeline["id"]})).status_code == 404
    assert (await a.client.post("/api/v1/integrations", json={**body, "kpi_id": str(uuid.uuid4())})).status_code == 404

    created = await a.client.post("/api/v1/integrations", json={**body, "kpi_id": pipeline["id"]})
    assert created.status_code == 201, created.text
    again = await a.client.post("/api/v1/integrations", json={**body, "name": "crm-2", "kpi_id": pipeline["id"]})
    assert again.status_code == 409 and "crm-pipeline" in again.json()["detail"]

    archived_kpi = await kpi(a.client, name="Archived")
    deleted = await a.client.delete(f"/api/v1/kpis/{archived_kpi['id']}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    refused = await a.client.post("/api/v1/integrations", json={**body, "name": "crm-3", "kpi_id": archived_kpi["id"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "kpi_id"]
    assert "archived" in refused.json()["errors"][0]["message"]


# $2 and $3: the KPI's cadence period, ending at the pull ($1).
MQLS_IN_WINDOW = (
    "SELECT count(*) FROM leads WHERE stage = 'MQL' AND became_mql_at >= $2::timestamptz "
    "AND became_mql_at < $3::timestamptz AND $3::timestamptz = $1::timestamptz"
)


async def test_a_sql_source_feeds_a_kpi_with_its_cadence_period_as_the_window(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    crm_database: str,  # noqa: F811 (fixture)
    sql_fetchers: Fetchers,  # noqa: F811 (fixture)
) -> None:
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": crm_database, "allow_weak_tls": True}
    )
    mqls = await kpi(tenant.client, name="MQLs per month", unit="", healthy_min=3, critical_min=1)
    source = {"kind": "sql", "connection_id": connection["id"], "query": MQLS_IN_WINDOW}
    integration = await kpi_integration(tenant.client, mqls["id"], source)
    # Now is 2026-06-30 22:00 UTC: the monthly cadence's 30 days back hold June's three MQLs, not May 30th's.
    assert await pull_due(app.state.session_factory, sql_fetchers, now=clock.now) == 1
    [run] = await runs_of(tenant.client, integration["id"])
    assert (run["outcome"], run["value"], run["error"]) == ("recorded", 3, None)
    read = (await tenant.client.get(f"/api/v1/kpis/{mqls['id']}")).json()
    assert (read["latest_value"], read["status"]) == (3, "healthy")


async def test_the_migration_goes_down_and_up_again(
    tenant: Tenant,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
    owner_database_url: str,
) -> None:
    pipeline = await kpi(tenant.client)
    await kpi_integration(tenant.client, pipeline["id"], http_source(source))
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": (await okr_setup(tenant.client)).objective["id"], "title": "Leads", "target_value": 10},
    )
    by_kr = await create(
        tenant.client,
        "/api/v1/integrations",
        {"name": f"crm-{uuid.uuid4().hex[:6]}", "key_result_id": kr["id"], "source": http_source(source)},
    )

    def down() -> None:
        command.downgrade(alembic_config(owner_database_url), "0078")

    await asyncio.to_thread(down)
    try:
        kept = await owner_connection.fetch("SELECT id FROM integrations WHERE org_id = $1", uuid.UUID(tenant.org_id))
        assert [str(row["id"]) for row in kept] == [by_kr["id"]]  # the KPI's integration was deleted first
        nullable = (
            "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'integrations' AND column_name = $1"
        )
        assert await owner_connection.fetchval(nullable, "key_result_id") == "NO"
        assert await owner_connection.fetchval(nullable, "kpi_id") is None
    finally:
        await asyncio.to_thread(upgrade, owner_database_url)
    checks = await owner_connection.fetchval(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'integrations'::regclass "
        "AND conname IN ('integrations_kpi_fk', 'integrations_kpi_key', 'integrations_one_target')"
    )
    assert checks == 3
    assert await owner_connection.fetchval("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'integrations'")
