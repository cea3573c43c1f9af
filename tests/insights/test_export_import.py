"""Exports (CSV zip, JSON; streamed) and the all-or-nothing CSV import, down to the demo round trip."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
import pytest
from fastapi import FastAPI
from tests.insights.helpers import bulk_cycle, check_in_at, csv_tables, cycle, key_result, objective, real_time, to_csv
from tests.support import FixedClock, SignUp, Tenant, create, make_client

from sightline.db.tenancy import set_tenant
from sightline.demo import load_demo
from sightline.insights import export
from sightline.okrs.models import Cycle
from sightline.okrs.recompute import recompute_org

DEMO_TODAY = date(2026, 11, 23)


async def _small_cycle(tenant: Tenant, clock: FixedClock) -> dict[str, Any]:
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, "FY 2026/Plan", "2026-01-01", "2026-12-31")
    team = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    goal = await objective(tenant, fy["id"], "Demand", level="team", team_id=team["id"], description="Fill it")
    leads = await key_result(
        tenant, goal, title="Leads", target_value=18000, stretch_value=24000, previous_value=12000, external_key="crm:1"
    )
    launch = await key_result(
        tenant,
        goal,
        title="Launch",
        metric="milestone",
        target_value=1,
        milestone_plan=[{"date": "2026-06-30", "value": 1}],
    )
    first = await check_in_at(tenant, clock, "2026-02-01T10:00:00+01:00", leads, 1500, confidence=6)
    await check_in_at(tenant, clock, "2026-03-01T10:00:00+01:00", leads, 3100, confidence=7, note='webinar, "big"')
    await create(
        tenant.client,
        "/api/v1/check-ins",
        {"key_result_id": leads["id"], "value": 1400, "corrects": first["id"], "reason": "bots removed"},
    )
    clock.set("2026-03-02T10:00:00+01:00")
    return {"cycle": fy, "team": team, "objective": goal, "leads": leads, "launch": launch, "first": first}


async def test_csv_export_is_a_zip_of_one_file_per_table(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    tenant = await signup()
    setup = await _small_cycle(tenant, clock)
    response = await tenant.client.get(f"/api/v1/cycles/{setup['cycle']['id']}/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="FY_2026_Plan.zip"'
    tables = csv_tables(response.content)
    assert list(tables) == ["objectives", "key_results", "check_ins", "initiatives", "initiative_key_results", "spend"]
    [demand] = tables["objectives"]
    assert (demand["title"], demand["team"], demand["description"], demand["owner_email"]) == (
        "Demand",
        "Marketing",
        "Fill it",
        tenant.email,
    )
    leads = next(r for r in tables["key_results"] if r["title"] == "Leads")
    assert (leads["objective_id"], leads["objective"]) == (setup["objective"]["id"], "Demand")
    assert (leads["target_value"], leads["stretch_value"], leads["previous_value"]) == ("18000.0", "24000.0", "12000.0")
    assert leads["current_value"] == "3100.0"
    assert leads["archived"] == "false"
    launch = next(r for r in tables["key_results"] if r["title"] == "Launch")
    assert orjson.loads(launch["milestone_plan"]) == [{"date": "2026-06-30", "value": 1.0}]
    assert launch["stretch_value"] == ""
    history = tables["check_ins"]
    assert [(c["value"], c["corrects"], c["reason"]) for c in history] == [
        ("1500.0", "", ""),
        ("3100.0", "", ""),
        ("1400.0", setup["first"]["id"], "bots removed"),
    ]
    assert history[1]["note"] == 'webinar, "big"'

    as_json = await tenant.client.get(f"/api/v1/cycles/{setup['cycle']['id']}/export", params={"format": "json"})
    assert as_json.headers["content-type"] == "application/json"
    document = as_json.json()
    assert document["format"] == "sightline.cycle-export.v1"
    assert document["cycle"]["name"] == "FY 2026/Plan"
    assert [c["value"] for c in document["check_ins"]] == [1500, 3100, 1400]
    launch_json = next(k for k in document["key_results"] if k["title"] == "Launch")
    assert launch_json["milestone_plan"] == [{"date": "2026-06-30", "value": 1.0}]
    assert launch_json["archived"] is False
    assert (await tenant.client.get(f"/api/v1/cycles/{uuid.uuid4()}/export")).status_code == 404


async def test_export_carries_the_cycles_initiatives_links_and_spend(signup: SignUp, clock: FixedClock) -> None:
    """Initiatives linked to the cycle's key results or dated inside it, their links and every spend entry,
    money as exact decimal text in both formats; work dated outside the cycle and linked to none of it is not."""
    real_time(clock)
    tenant = await signup()
    setup = await _small_cycle(tenant, clock)
    leads = setup["leads"]
    webinars = await create(
        tenant.client,
        "/api/v1/initiatives",
        {
            "title": "Webinars",
            "kind": "campaign",
            "planned_budget": "8000",
            "team_id": setup["team"]["id"],
            "key_results": [{"key_result_id": leads["id"], "share": "0.5"}],
        },
    )
    film = await create(
        tenant.client,
        "/api/v1/initiatives",
        {"title": "Brand film", "start_date": "2026-03-01", "end_date": "2026-04-30", "planned_budget": "1200.10"},
    )
    await create(
        tenant.client,
        "/api/v1/initiatives",
        {"title": "Old fair", "start_date": "2025-01-01", "end_date": "2025-02-01"},
    )
    await create(
        tenant.client,
        f"/api/v1/initiatives/{webinars['id']}/spend",
        {"amount": "2500.50", "spent_on": "2026-02-20", "note": "speakers"},
    )
    await create(
        tenant.client,
        f"/api/v1/initiatives/{webinars['id']}/spend",
        {"amount": "-0.50", "spent_on": "2026-02-21", "reason": "refund"},
    )
    url = f"/api/v1/cycles/{setup['cycle']['id']}/export"

    tables = csv_tables((await tenant.client.get(url, params={"format": "csv"})).content)
    exported = sorted(tables["initiatives"], key=lambda i: i["title"])
    assert [(i["title"], i["team"], i["planned_budget"], i["currency"]) for i in exported] == [
        ("Brand film", "", "1200.10", "EUR"),
        ("Webinars", "Marketing", "8000.00", "EUR"),
    ]
    assert exported[0]["start_date"] == "2026-03-01"
    assert [
        (link["initiative_id"], link["key_result_id"], link["share"]) for link in tables["initiative_key_results"]
    ] == [(webinars["id"], leads["id"], "0.5000")]
    assert [(e["initiative_id"], e["amount"], e["spent_on"], e["note"], e["reason"]) for e in tables["spend"]] == [
        (webinars["id"], "2500.50", "2026-02-20", "speakers", ""),
        (webinars["id"], "-0.50", "2026-02-21", "", "refund"),
    ]

    document = (await tenant.client.get(url, params={"format": "json"})).json()
    assert sorted((i["id"], i["planned_budget"]) for i in document["initiatives"]) == sorted(
        [(webinars["id"], "8000.00"), (film["id"], "1200.10")]
    )
    assert document["initiative_key_results"][0]["share"] == "0.5000"
    assert [e["amount"] for e in document["spend"]] == ["2500.50", "-0.50"]


async def test_export_streams_in_batches(app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    """A big cycle leaves in many chunks (one per batch of rows), never as one body built in memory."""
    cycle_id = await bulk_cycle(
        owner_connection, org_id=tenant.org_id, owner_id=tenant.owner_id, objectives=600, key_results_per_objective=5
    )
    big = Cycle(
        org_id=uuid.UUID(tenant.org_id),
        id=uuid.UUID(cycle_id),
        name="Big",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        state="active",
        version=1,
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    for fmt in ("csv", "json"):
        chunks = [
            chunk
            async for chunk in export.stream_export(
                app.state.session_factory,
                org_id=uuid.UUID(tenant.org_id),
                cycle=big,
                fmt=fmt,  # type: ignore[arg-type]
            )
        ]
        assert len(chunks) >= 6, fmt  # 600 + 3,000 + 2,400 rows in batches of 1,000
        body = b"".join(chunks)
        if fmt == "csv":
            tables = csv_tables(body)
            assert [len(tables[t]) for t in ("objectives", "key_results", "check_ins")] == [600, 3000, 2400]
        else:
            document = orjson.loads(body)
            assert [len(document[t]) for t in ("objectives", "key_results", "check_ins")] == [600, 3000, 2400]


KR_HEADER = "id,objective,title,owner_email,start_value,target_value,stretch_value,direction,cadence,milestone_plan\n"


async def test_import_is_all_or_nothing_with_per_row_errors(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, "FY", "2026-01-01", "2026-12-31")
    clock.set("2026-03-02T10:00:00+01:00")
    body = {
        "objectives_csv": "id,title,level,team\nO1,Demand,team,Nowhere\nO2,Brand,company,\n",
        "key_results_csv": KR_HEADER
        + "KR1,Brand,Leads,,0,100,,increase,weekly,\n"
        + "KR2,Brand,Churn,,10,12,,decrease,weekly,\n"
        + "KR3,Missing,Visits,,0,100,,increase,daily,\n"
        + "KR4,Brand,Press,nobody@example.test,0,100,50,increase,weekly,\n"
        + "KR1,Brand,Again,,0,abc,,increase,weekly,\n",
        "check_ins_csv": "id,key_result_id,value,confidence,checked_in_at,corrects,reason\n"
        + "C1,KR1,10,7,2026-02-01T10:00:00+01:00,,\n"
        + "C2,KR1,11,11,2026-02-02T10:00:00,,\n"
        + "C3,KR9,12,5,2026-02-03T10:00:00+01:00,,\n"
        + "C4,KR1,9,,,C1,\n"
        + "C5,KR1,20,5,2026-05-01T10:00:00+02:00,,\n",
    }
    response = await tenant.client.post(f"/api/v1/cycles/{fy['id']}/import", json=body)
    assert response.status_code == 422, response.text
    found = {(e["loc"][1], e["loc"][2], e["loc"][3]) for e in response.json()["errors"]}
    assert found == {
        ("objectives_csv", 2, "team"),  # no team named Nowhere
        ("key_results_csv", 3, "target_value"),  # a decrease must go down
        ("key_results_csv", 4, "objective"),  # no objective titled Missing
        ("key_results_csv", 4, "cadence"),  # daily is not a cadence
        ("key_results_csv", 5, "owner_email"),  # not a member
        ("key_results_csv", 5, "stretch_value"),  # stretch below target
        ("key_results_csv", 6, "id"),  # KR1 twice
        ("key_results_csv", 6, "target_value"),  # abc
        ("check_ins_csv", 3, "confidence"),  # 11
        ("check_ins_csv", 3, "checked_in_at"),  # no offset
        ("check_ins_csv", 4, "key_result_id"),  # KR9 unknown
        ("check_ins_csv", 5, "reason"),  # a correction needs a reason
        ("check_ins_csv", 6, "checked_in_at"),  # in the future (it is 2 March)
    }
    assert "nothing was written" in response.json()["detail"]
    org = uuid.UUID(tenant.org_id)
    assert await owner_connection.fetchval("SELECT count(*) FROM objectives WHERE org_id = $1", org) == 0
    assert await owner_connection.fetchval("SELECT count(*) FROM key_results WHERE org_id = $1", org) == 0


async def test_import_from_a_spreadsheet_creates_history_and_current_values(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, "FY", "2026-01-01", "2026-12-31")
    await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    clock.set("2026-03-02T10:00:00+01:00")
    body = {
        "objectives_csv": "\ufeffid,title,level,team,kind\nO1,Demand,team,Marketing,aspirational\n",
        "key_results_csv": "id,objective_id,title,target_value,previous_value,external_key\n"
        "KR1,O1,Leads,18000,12000,sheet:leads\n"
        "KR2,O1,Visits,50000,,\n",
        "check_ins_csv": "id,key_result_id,value,confidence,checked_in_at,corrects,reason,note\n"
        "a,KR1,1500,6,2026-02-01T10:00:00+01:00,,,\n"
        "b,KR1,3100,7,2026-03-01T10:00:00+01:00,,,from the CRM\n"
        "c,KR1,2900,6,,b,double count,\n"
        "d,KR2,9000,8,2026-02-15T10:00:00+01:00,,,\n",
    }
    response = await tenant.client.post(f"/api/v1/cycles/{fy['id']}/import", json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert [r["ref"] for r in result["key_results"]] == ["KR1", "KR2"]
    assert result["check_ins"] == 4
    leads = (await tenant.client.get(f"/api/v1/key-results/{result['key_results'][0]['id']}")).json()
    assert (leads["current_value"], leads["latest_confidence"], leads["previous_value"]) == (2900, 6, 12000)
    assert leads["last_check_in_at"] == "2026-03-01T09:00:00Z"
    assert leads["score"] == pytest.approx(2900 / 18000)
    history = (await tenant.client.get(f"/api/v1/key-results/{leads['id']}/check-ins")).json()["items"]
    assert [(c["value"], c["source"], c["corrected_by"] is not None) for c in history] == [
        (1500, "csv_import", False),
        (3100, "csv_import", True),
        (2900, "csv_import", False),
    ]
    goal = (await tenant.client.get(f"/api/v1/objectives/{result['objectives'][0]['id']}")).json()
    assert (goal["kind"], goal["level"]) == ("aspirational", "team")
    created = await owner_connection.fetchval(
        "SELECT count(*) FROM events WHERE org_id = $1 AND type IN ('objective.created', 'key_result.created',"
        " 'check_in.created')",
        uuid.UUID(tenant.org_id),
    )
    assert created == 1 + 2 + 4
    # A history migrated by the CSV import is recorded late by construction: not a backdating signal.
    honesty = (await tenant.client.get(f"/api/v1/cycles/{fy['id']}/health")).json()["honesty"]
    assert [s["kind"] for s in honesty["signals"]] == ["correction"]


def _board_by_name(board: dict[str, Any]) -> dict[str, Any]:
    """The scoreboard without ids (they differ between organisations), objectives by title."""
    ignore = {"id", "owner_id", "team_id", "cycle_id"}

    def figures(objective: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in objective.items() if k not in ignore}

    return {
        "teams": {
            team["name"]: sorted((figures(o) for o in team["objectives"]), key=lambda o: o["title"])
            for team in board["teams"]
        },
        "totals": board["totals"],
        "compliance": {
            "overall": board["compliance"]["overall"],
            "teams": {t["name"]: (t["on_time"], t["key_results"]) for t in board["compliance"]["teams"]},
            "people": {p["name"]: (p["on_time"], p["key_results"]) for p in board["compliance"]["people"]},
        },
    }


def _assert_same_figures(actual: Any, expected: Any, path: str = "board") -> None:
    """Equal, floats within a relative 1e-12: PostgreSQL sums key results in row order, which follows the (random)
    ids, so the last bits may differ (rounding both to a number of decimals still differs across a boundary)."""
    if isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {actual} != {expected}"
    elif isinstance(expected, dict) and isinstance(actual, dict):
        assert actual.keys() == expected.keys(), path
        for key in expected:
            _assert_same_figures(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(actual) == len(expected), path
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_same_figures(a, e, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


async def test_demo_cycle_exported_and_imported_into_a_fresh_organisation_gives_the_same_scoreboard(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    demo = await load_demo(app.state.session_factory, today=DEMO_TODAY)
    fresh = await signup("Fresh Start")
    async with make_client(app) as source:
        login = {"email": demo.email, "password": demo.password, "organisation_id": str(demo.organisation_id)}
        assert (await source.post("/api/v1/auth/login", json=login)).status_code == 200
        # The people and the team tree come first (an import refers to them by email and name).
        for member in (await source.get("/api/v1/members", params={"limit": 200})).json()["items"]:
            if member["email"] != fresh.email:
                created = await fresh.client.post(
                    "/api/v1/members", json={"email": member["email"], "name": member["name"], "role": "member"}
                )
                assert created.status_code == 201, created.text
        demo_teams = (await source.get("/api/v1/teams", params={"limit": 200})).json()["items"]
        made: dict[str, str] = {}
        while len(made) < len(demo_teams):
            for team in demo_teams:
                if team["id"] not in made and (team["parent_id"] is None or team["parent_id"] in made):
                    parent = made.get(team["parent_id"]) if team["parent_id"] else None
                    made[team["id"]] = (
                        await create(fresh.client, "/api/v1/teams", {"name": team["name"], "parent_id": parent})
                    )["id"]

        clock.set("2026-11-23T00:00:00+01:00")  # the demo's clock stops at the start of its `today`
        year = next(c for c in (await source.get("/api/v1/cycles")).json()["items"] if c["parent_id"] is None)
        assert year["state"] == "active"
        exported = await source.get(f"/api/v1/cycles/{year['id']}/export")
        assert exported.status_code == 200
        tables = csv_tables(exported.content)
        assert len(tables["key_results"]) >= 10 and len(tables["check_ins"]) >= 50
        target = await create(
            fresh.client,
            "/api/v1/cycles",
            {"name": year["name"], "start_date": year["start_date"], "end_date": year["end_date"], "state": "active"},
        )
        imported = await fresh.client.post(
            f"/api/v1/cycles/{target['id']}/import",
            # The import takes the OKR tables (initiatives and spend are exported for reading elsewhere).
            json={name + "_csv": to_csv(tables[name]) for name in ("objectives", "key_results", "check_ins")},
        )
        assert imported.status_code == 201, imported.text
        assert imported.json()["check_ins"] == len(tables["check_ins"])

        # The demo's planted correction and late survey import read as honesty signals in its cycles.
        planted = {"correction": 0, "backdated": 0}
        for demo_cycle in (await source.get("/api/v1/cycles")).json()["items"]:
            counts = (await source.get(f"/api/v1/cycles/{demo_cycle['id']}/health")).json()["honesty"]["cycle"]
            planted = {kind: planted[kind] + counts[kind] for kind in planted}
        assert planted["correction"] == 1
        assert planted["backdated"] >= 1
        # Statuses are stored as of their last recompute, and other tests' job passes visit every organisation of
        # the database (the demo's too, at their own moment): recompute both at this test's moment first.
        for org_id in (str(demo.organisation_id), fresh.org_id):
            async with app.state.session_factory() as session, session.begin():
                await set_tenant(session, uuid.UUID(org_id))
                await recompute_org(session, org_id=uuid.UUID(org_id), now=clock.now)
        before = (await source.get(f"/api/v1/cycles/{year['id']}/scoreboard")).json()
        after = (await fresh.client.get(f"/api/v1/cycles/{target['id']}/scoreboard")).json()
    _assert_same_figures(_board_by_name(after), _board_by_name(before))
    # Substance: a year of objectives in several states, with a correction and a late import in the history.
    assert sum(before["totals"]["objectives"].values()) >= 8
    assert len([n for n in before["totals"]["key_results"].values() if n]) >= 3
    assert any(row["corrects"] for row in tables["check_ins"])
    assert len({row["owner_email"] for row in tables["key_results"]}) > 3
