"""Organisation export and import (templates, KPIs and their values) through the API: the round trip into
another organisation, all or nothing with the failing cell named, tenancy, formula escaping; and the cycle
export/import carrying the planning fields of key results (accumulation, the KPI followed, carried_from)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from tests.insights.helpers import csv_tables, real_time, to_csv
from tests.support import FixedClock, SignUp, StatementCounter, Tenant, create, okr_setup

TEMPLATE = {
    "title": "Own the =category",
    "category": "brand",
    "description": "Our take",
    "key_results": [
        {"title": "Branded search", "unit": "searches", "target_value": 5000, "accumulation": "level"},
        {"title": "Share of voice", "metric": "percent", "unit": "%", "target_value": 30, "stretch_value": 40},
    ],
}
PIPELINE = {"name": "Marketing-sourced pipeline", "unit": "k€", "direction": "higher_is_better", "healthy_min": 1000}
CAC = {"name": "CAC", "unit": "€", "direction": "lower_is_better", "healthy_max": 300, "critical_max": 400}
MONTHS = ["2025-01-31T12:00:00Z", "2025-02-28T12:00:00Z", "2025-03-31T12:00:00Z"]


async def _seed(tenant: Tenant) -> dict[str, Any]:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    template = await create(tenant.client, "/api/v1/templates", TEMPLATE)
    pipeline = await create(tenant.client, "/api/v1/kpis", {**PIPELINE, "team_id": team["id"], "critical_min": 700})
    cac = await create(tenant.client, "/api/v1/kpis", CAC)
    for kpi, values in ((pipeline, [900, 1100, 650]), (cac, [320, 280, 250])):
        for at, value in zip(MONTHS, values, strict=True):
            body = {"value": value, "recorded_at": at, "note": f"month end {value}"}
            await create(tenant.client, f"/api/v1/kpis/{kpi['id']}/values", body)
    return {"team": team, "template": template, "pipeline": pipeline, "cac": cac}


async def _files(tenant: Tenant, **params: str) -> dict[str, list[dict[str, str]]]:
    response = await tenant.client.get("/api/v1/organisation/export/csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return csv_tables(response.content)


def _body(tables: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    return {f"{name}_csv": to_csv(rows) for name, rows in tables.items() if rows}


async def _kpis(tenant: Tenant) -> list[dict[str, Any]]:
    """By name: KPIs made in the same instant list in id order."""
    listed = await tenant.client.get("/api/v1/kpis", params={"include_archived": "true"})
    items: list[dict[str, Any]] = listed.json()["items"]
    return sorted(items, key=lambda k: k["name"])


async def _own_templates(tenant: Tenant) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await tenant.client.get("/api/v1/templates", params={"source": "organisation"})
    ).json()["items"]
    return items


def _without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


async def test_export_then_import_into_another_organisation_round_trips_templates_and_kpis(
    signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    source, target = await signup("Source"), await signup("Target")
    seeded = await _seed(source)
    tables = await _files(source)
    assert set(tables) == {"templates", "template_key_results", "kpis", "kpi_values"}
    assert [r["title"] for r in tables["template_key_results"]] == ["Branded search", "Share of voice"]
    teams = {row["name"]: row["team"] for row in tables["kpis"]}
    assert len(tables["kpi_values"]) == 6 and teams == {"Marketing-sourced pipeline": "Marketing", "CAC": ""}
    document = orjson.loads((await source.client.get("/api/v1/organisation/export/json")).content)
    assert document["format"] == "sightline.organisation-export.v1"
    assert sorted(k["name"] for k in document["kpis"]) == ["CAC", "Marketing-sourced pipeline"]
    assert (
        sorted(v["value"] for v in document["kpi_values"])[0] == 250
        and document["templates"][0]["title"] == TEMPLATE["title"]
    )

    await create(target.client, "/api/v1/teams", {"name": "Marketing"})
    for row in tables["kpis"]:
        row["owner_email"] = ""  # the source's members are not the target's: the importer owns them
    imported = await target.client.post("/api/v1/organisation/import", json=_body(tables))
    assert imported.status_code == 201, imported.text
    result = imported.json()
    assert (len(result["templates"]), len(result["kpis"]), result["kpi_values"]) == (1, 2, 6)

    volatile = ("id", "owner_id", "team_id", "created_at", "updated_at", "created_by", "source_objective_id")
    before, after = await _kpis(source), await _kpis(target)
    assert [_without(k, *volatile) for k in after] == [_without(k, *volatile) for k in before]
    assert [(k["latest_value"], k["status"]) for k in after] == [(250, "healthy"), (650, "critical")]
    assert after[1]["owner_id"] == target.owner_id and after[1]["team_id"] is not None
    values = (await target.client.get(f"/api/v1/kpis/{after[1]['id']}/values")).json()["items"]
    assert next((v["value"], v["note"], v["source"]) for v in values) == (650, "month end 650", "manual")
    templates = await _own_templates(target)
    assert [_without(t, *volatile) for t in templates] == [_without(seeded["template"], *volatile)]
    events = (await target.client.get("/api/v1/events", params={"limit": 100})).json()["items"]
    assert sorted({e["type"] for e in events} & {"template.created", "kpi.created", "kpi.value_recorded"}) == [
        "kpi.created",
        "kpi.value_recorded",
        "template.created",
    ]


async def test_a_bad_cell_writes_nothing_and_is_named_by_file_row_and_column(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    source, target = await signup("Source"), await signup("Target")
    await _seed(source)
    tables = await _files(source)
    # Spreadsheet rows: the header is row 1.
    pipeline_row, cac_row = (2, 3) if tables["kpis"][0]["name"] == PIPELINE["name"] else (3, 2)
    tables["kpis"][cac_row - 2]["direction"] = "sideways"
    tables["kpi_values"][2]["recorded_at"] = "last March"  # row 4
    tables["kpi_values"][3]["kpi_id"] = "K9"  # row 5
    tables["template_key_results"][1]["target_value"] = "a lot"  # row 3
    refused = await target.client.post("/api/v1/organisation/import", json=_body(tables))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    where = {tuple(e["loc"]) for e in refused.json()["errors"]}
    assert {
        ("body", "kpis_csv", cac_row, "direction"),
        ("body", "kpis_csv", pipeline_row, "team"),  # no team named Marketing in the target
        ("body", "kpis_csv", pipeline_row, "owner_email"),  # nor the source's member
        ("body", "kpi_values_csv", 4, "recorded_at"),
        ("body", "kpi_values_csv", 5, "kpi_id"),
        ("body", "template_key_results_csv", 3, "target_value"),
    } <= where, where
    assert await _kpis(target) == [] and await _own_templates(target) == []
    lax = {"kpis_csv": "name,direction,healthy_min,critical_min\nPipeline,higher_is_better,100,200\n"}
    range_refused = await target.client.post("/api/v1/organisation/import", json=lax)
    assert [e["loc"] for e in range_refused.json()["errors"]] == [["body", "kpis_csv", 2, "critical_min"]]
    missing = await target.client.post("/api/v1/organisation/import", json={"kpis_csv": "name\nPipeline\n"})
    assert [e["loc"] for e in missing.json()["errors"]] == [["body", "kpis_csv", 1, "direction"]]
    assert (await target.client.post("/api/v1/organisation/import", json={})).status_code == 422
    assert await _kpis(target) == []


async def test_an_organisation_exports_only_its_own_and_imports_into_its_own(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    first, second = await signup("First"), await signup("Second")
    await _seed(first)
    empty = await _files(second)
    assert all(rows == [] for rows in empty.values()), empty  # headers only: nothing of the first organisation
    body = {"kpis_csv": "id,name,direction,healthy_min\nK1,Leads,higher_is_better,10\n"}
    body["kpi_values_csv"] = "kpi_id,value,recorded_at\nK1,12,2025-01-31T12:00:00Z\n"
    assert (await second.client.post("/api/v1/organisation/import", json=body)).status_code == 201
    assert [k["name"] for k in await _kpis(second)] == ["Leads"]
    assert [k["name"] for k in await _kpis(first)] == ["CAC", "Marketing-sourced pipeline"]
    assert sorted(r["name"] for r in (await _files(first))["kpis"]) == ["CAC", "Marketing-sourced pipeline"]


async def test_formula_like_text_is_escaped_in_csv_and_reads_back_unchanged(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    source, target = await signup("Source"), await signup("Target")
    formula = '=HYPERLINK("http://evil.example","x")'
    await create(source.client, "/api/v1/kpis", {**CAC, "name": formula, "description": "-5", "unit": "@reach"})
    escaped = (await _files(source))["kpis"][0]
    assert (escaped["name"], escaped["description"], escaped["unit"]) == (f"'{formula}", "-5", "'@reach")
    assert (await _files(source, csv_formulas="raw"))["kpis"][0]["name"] == formula
    await create(source.client, "/api/v1/templates", {**TEMPLATE, "title": "@SUM(A1:A9)"})
    tables = await _files(source)
    assert tables["templates"][0]["title"] == "'@SUM(A1:A9)"
    for row in tables["kpis"]:
        row["owner_email"] = ""
    assert (await target.client.post("/api/v1/organisation/import", json=_body(tables))).status_code == 201
    assert [(k["name"], k["unit"]) for k in await _kpis(target)] == [(formula, "@reach")]
    assert [t["title"] for t in await _own_templates(target)] == ["@SUM(A1:A9)"]


async def test_cycle_export_and_import_carry_the_planning_fields_of_key_results(
    signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    source, target = await signup("Source"), await signup("Target")
    seeded = await _seed(source)
    okr = await okr_setup(source.client)
    kr = {"objective_id": okr.objective["id"], "target_value": 2000, "accumulation": "level"}
    followed = await create(
        source.client, "/api/v1/key-results", {**kr, "title": "Pipeline", "follows_kpi_id": seeded["pipeline"]["id"]}
    )
    export = await source.client.get(f"/api/v1/cycles/{okr.cycle['id']}/export/csv")
    row = csv_tables(export.content)["key_results"][0]
    assert (row["accumulation"], row["follows_kpi"], row["follows_kpi_id"], row["carried_from"]) == (
        "level",
        "Marketing-sourced pipeline",
        seeded["pipeline"]["id"],
        "",
    )
    assert followed["follows_kpi_id"] == seeded["pipeline"]["id"]
    json_export = orjson.loads((await source.client.get(f"/api/v1/cycles/{okr.cycle['id']}/export/json")).content)
    assert json_export["key_results"][0]["follows_kpi_id"] == seeded["pipeline"]["id"]

    # Into another organisation: its own KPI of that name is followed (the source's id means nothing there).
    target_okr = await okr_setup(target.client)
    own = await create(target.client, "/api/v1/kpis", PIPELINE)
    file = {k: v for k, v in row.items() if k not in ("objective_id", "owner_email")}
    file["objective"] = "Grow demand"
    done = await target.client.post(
        f"/api/v1/cycles/{target_okr.cycle['id']}/import", json={"key_results_csv": to_csv([file])}
    )
    assert done.status_code == 201, done.text
    created = (await target.client.get(f"/api/v1/key-results/{done.json()['key_results'][0]['id']}")).json()
    assert (created["accumulation"], created["follows_kpi_id"], created["carried_from"]) == ("level", own["id"], None)

    # An unknown KPI is named by its cell; an older file without the new columns takes the defaults.
    unknown = await target.client.post(
        f"/api/v1/cycles/{target_okr.cycle['id']}/import",
        json={"key_results_csv": to_csv([{**file, "follows_kpi": "Nope", "follows_kpi_id": ""}])},
    )
    assert [e["loc"] for e in unknown.json()["errors"]] == [["body", "key_results_csv", 2, "follows_kpi"]]
    old = {"objective": "Grow demand", "title": "Leads", "target_value": "100"}
    older = await target.client.post(
        f"/api/v1/cycles/{target_okr.cycle['id']}/import", json={"key_results_csv": to_csv([old])}
    )
    assert older.status_code == 201, older.text
    plain = (await target.client.get(f"/api/v1/key-results/{older.json()['key_results'][0]['id']}")).json()
    assert (plain["accumulation"], plain["follows_kpi_id"]) == ("cumulative", None)


async def test_viewers_export_but_do_not_import_and_the_import_takes_a_fixed_number_of_statements(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    viewer, _ = await tenant.member_client(app, "viewer")
    body = {"kpis_csv": "id,name,direction,healthy_min\nK1,Leads,higher_is_better,10\n"}
    assert (await viewer.post("/api/v1/organisation/import", json=body)).status_code == 403
    assert (await viewer.get("/api/v1/organisation/export/json")).status_code == 200

    def files(count: int) -> dict[str, str]:
        numbers = range(count)
        kpi = {"direction": "higher_is_better", "healthy_min": "10"}
        return _body(
            {
                "kpis": [{"id": f"K{i}", "name": f"KPI {i}", **kpi} for i in numbers],
                "kpi_values": [
                    {"kpi_id": f"K{i}", "value": str(m), "recorded_at": f"2025-0{m}-01T09:00:00Z"}
                    for i in numbers
                    for m in (1, 2)
                ],
                "templates": [{"id": f"T{i}", "title": f"Template {i}"} for i in numbers],
                "template_key_results": [
                    {"template_id": f"T{i}", "title": "Leads", "target_value": "100"} for i in numbers
                ],
            }
        )

    counts = []
    for count in (1, 25):
        with StatementCounter(app) as counter:
            done = await tenant.client.post("/api/v1/organisation/import", json=files(count))
        assert done.status_code == 201, done.text
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
