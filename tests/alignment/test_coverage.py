"""The coverage report on the demo organisation: exactly the planted gaps, and spend totals by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.support import StatementCounter, Tenant, create, make_client, okr_setup

from sightline.alignment.schemas import AlignmentMap
from sightline.demo import load_demo

TODAY = date(2026, 11, 23)  # FY2026 runs 2026-04-01 to 2027-03-31: spend on the 1st of April … November
MONTHS = 8


@pytest.fixture
async def northwind(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    demo = await load_demo(app.state.session_factory, today=TODAY)
    async with make_client(app) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": demo.email, "password": demo.password, "organisation_id": str(demo.organisation_id)},
        )
        assert login.status_code == 200
        yield client


async def _fy(client: httpx.AsyncClient) -> dict[str, Any]:
    cycles = (await client.get("/api/v1/cycles", params={"limit": 10})).json()["items"]
    return next(c for c in cycles if c["name"] == "FY2026")


async def test_coverage_finds_exactly_the_planted_gaps(northwind: httpx.AsyncClient) -> None:
    fy = await _fy(northwind)
    report = (await northwind.get(f"/api/v1/cycles/{fy['id']}/coverage")).json()
    assert [o["title"] for o in report["objectives_without_parent"]] == ["Ship what marketing can sell"]
    assert [w["title"] for w in report["unaligned_work"]] == ["LogiMAT trade-show booth"]
    assert report["unaligned_work"][0]["unaligned_spend"] == f"{2500 * MONTHS:.2f}"
    assert report["unaligned_spend"] == "20000.00"
    assert [t["name"] for t in report["teams_without_objectives"]] == ["Partnerships"]
    assert report["over_claimed_key_results"] == []
    assert report["currency"] == "EUR"
    without = {kr["title"] for kr in report["key_results_without_initiative"]}
    assert "Marketing-qualified leads" not in without
    assert "Annual recurring revenue" in without


async def test_spend_rolls_up_by_key_result_objective_team_and_company_objective(
    northwind: httpx.AsyncClient,
) -> None:
    fy = await _fy(northwind)
    report = (await northwind.get(f"/api/v1/cycles/{fy['id']}/coverage")).json()
    objectives = {o["title"]: o for o in report["spend_by_objective"]}
    # Always-on paid search: 19,500 a month for 8 months = 156,000, 0.6 to MQLs, the rest (0.4) to pipeline.
    assert objectives["Fill the pipeline with qualified demand"]["spend"] == "156000.00"
    assert objectives["Turn the website into our best salesperson"]["spend"] == "72000.00"
    assert objectives["Build an account-based engine for our top 200 accounts"]["spend"] == "52000.00"
    assert objectives["Publish content that earns attention"]["spend"] == "38400.00"
    assert objectives["Spend every euro where it converts"]["spend"] == "16000.00"
    companies = {o["title"]: o["rolled_up_spend"] for o in report["spend_by_company_objective"]}
    # Grow revenue: 156,000 + 72,000 + 16,000 + 52,000 + 38,400. "Turn the website…" reaches it twice (through
    # the pipeline objective and through the bookings key result) and counts once: not 406,400.
    assert companies["Grow revenue profitably"] == "334400.00"
    assert companies["Be the best-known name in mid-market logistics software"] == "38400.00"
    key_results = {k["key_result_id"]: k["spend"] for k in report["spend_by_key_result"]}
    assert sorted(key_results.values(), key=Decimal)[-1] == "93600.00"  # 156,000 × 0.6 on the seed MQL result
    teams = {t["name"]: t["id"] for t in (await northwind.get("/api/v1/teams")).json()["items"]}
    by_team = {t["team_id"]: t["spend"] for t in report["spend_by_team"]}
    assert by_team[teams["Marketing"]] == "172000.00"
    assert by_team[teams["Demand Gen"]] == "124000.00"
    assert by_team[teams["Content"]] == "38400.00"


async def test_spend_as_of_a_date(northwind: httpx.AsyncClient) -> None:
    fy = await _fy(northwind)
    report = (await northwind.get(f"/api/v1/cycles/{fy['id']}/coverage", params={"as_of": "2026-05-15"})).json()
    assert report["unaligned_spend"] == "5000.00"  # April and May of the booth


async def test_over_claimed_key_result_is_reported_not_refused(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Revenue", "target_value": 100},
    )
    for weight in (0.7, 0.6):
        child = await create(
            tenant.client,
            "/api/v1/objectives",
            {"cycle_id": okr.cycle["id"], "title": f"Claim {weight}", "level": "company"},
        )
        await create(
            tenant.client,
            "/api/v1/alignments",
            {
                "child_objective_id": child["id"],
                "parent_key_result_id": kr["id"],
                "kind": "contributes",
                "weight": weight,
            },
        )
    report = (await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/coverage")).json()
    assert [(c["title"], round(c["claimed"], 2)) for c in report["over_claimed_key_results"]] == [("Revenue", 1.3)]


async def test_coverage_costs_the_same_statements_for_small_and_large_cycles(app: FastAPI, signup: Any) -> None:
    counts = []
    for size in (2, 30):
        tenant = await signup(f"Coverage {size}")
        okr = await okr_setup(tenant.client)
        team = await create(tenant.client, "/api/v1/teams", {"name": "T"})
        for i in range(size):
            child = await create(
                tenant.client,
                "/api/v1/objectives",
                {"cycle_id": okr.cycle["id"], "title": f"O{i}", "level": "team", "team_id": team["id"]},
            )
            await create(
                tenant.client, "/api/v1/key-results", {"objective_id": child["id"], "title": "KR", "target_value": 5}
            )
            if i % 2:
                await create(
                    tenant.client,
                    "/api/v1/alignments",
                    {"child_objective_id": child["id"], "parent_objective_id": okr.objective["id"]},
                )
        with StatementCounter(app) as counter:
            assert (await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/coverage")).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_alignment_map_shows_spend_on_hover(northwind: httpx.AsyncClient) -> None:
    fy = await _fy(northwind)
    graph = (await northwind.get(f"/api/v1/cycles/{fy['id']}/alignment-map")).json()
    # Built as JSON values and encoded once (no validation on this hot path): what the contract's model writes.
    assert AlignmentMap.model_validate(graph).model_dump(mode="json") == graph
    krs = {kr["title"]: kr for kr in graph["key_results"]}
    assert krs["Marketing-qualified leads"]["spend"] == "93600.00"
    objectives = {o["title"]: o for o in graph["objectives"]}
    assert objectives["Fill the pipeline with qualified demand"]["spend"] == "156000.00"
    assert graph["currency"] == "EUR"
    titles = {o["id"]: o["title"] for o in graph["objectives"]}
    edges = {(titles[e["source"]], e["kind"]) for e in graph["edges"] if e["target_type"] == "objective"}
    assert ("Turn the website into our best salesperson", "cascade") in edges
    # every objective of the year and its overlapping quarters is a node
    assert len(graph["objectives"]) >= 13
