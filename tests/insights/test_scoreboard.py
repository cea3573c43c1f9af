"""The scoreboard: filters, grouping by team, totals, compliance, agreement with GET /objectives, and a
constant number of statements from a handful of objectives to a thousand.
"""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.insights.helpers import bulk_cycle, check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, StatementCounter, Tenant, create

from sightline.insights.schemas import ScoreboardPublic

NOW = "2026-03-01T12:00:00+01:00"


async def _organisation(app: FastAPI, signup: SignUp, clock: FixedClock) -> dict[str, Any]:
    """Company → Marketing → Demand Gen, and Sales; objectives at every level; check-ins at known times."""
    real_time(clock)
    tenant = await signup()
    max_client, max_id = await tenant.member_client(app, "member")
    marketing = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    demand = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen", "parent_id": marketing["id"]})
    sales = await create(tenant.client, "/api/v1/teams", {"name": "Sales"})
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    o1 = await objective(tenant, fy["id"], "Grow the company")
    o2 = await objective(tenant, fy["id"], "Brand", level="team", team_id=marketing["id"], kind="aspirational")
    o3 = await objective(tenant, fy["id"], "Pipeline", level="team", team_id=demand["id"], owner_id=max_id)
    o4 = await objective(tenant, fy["id"], "My deals", level="individual", team_id=sales["id"], owner_id=max_id)
    o5 = await objective(tenant, fy["id"], "Old idea")
    o6 = await objective(tenant, fy["id"], "Quality")
    kr1a = await key_result(tenant, o1, title="Leads", target_value=100)
    kr1b = await key_result(tenant, o1, title="Events", target_value=100, cadence="monthly")
    await key_result(tenant, o2, title="Mentions", target_value=10)
    kr3 = await key_result(tenant, o3, title="Opportunities", target_value=100)
    kr4 = await key_result(tenant, o4, title="Deals", target_value=50, cadence="biweekly")
    await key_result(tenant, o5, title="Never", target_value=5)
    kr6a = await key_result(tenant, o6, title="Uptime", direction="at_least", start_value=80, target_value=95)
    kr6b = await key_result(
        tenant,
        o6,
        title="Docs",
        target_value=100,
        cadence="monthly",
        milestone_plan=[{"date": "2026-02-01", "value": 50}],
    )
    await check_in_at(tenant, clock, "2026-01-10T10:00:00+01:00", kr1b, 1, confidence=4)
    await check_in_at(tenant, clock, "2026-02-15T10:00:00+01:00", kr6b, 30, confidence=6)
    clock.set("2026-02-20T10:00:00+01:00")
    await create(max_client, "/api/v1/check-ins", {"key_result_id": kr4["id"], "value": 50, "confidence": 9})
    await check_in_at(tenant, clock, "2026-02-26T10:00:00+01:00", kr1a, 20, confidence=7)
    await check_in_at(tenant, clock, "2026-02-27T10:00:00+01:00", kr6a, 90, confidence=5)
    clock.set("2026-02-28T10:00:00+01:00")
    await create(max_client, "/api/v1/check-ins", {"key_result_id": kr3["id"], "value": 5, "confidence": 2})
    o5_etag = (await tenant.client.get(f"/api/v1/objectives/{o5['id']}")).headers["etag"]
    await tenant.client.delete(f"/api/v1/objectives/{o5['id']}", headers={"If-Match": o5_etag})
    clock.set(NOW)
    return {
        "tenant": tenant,
        "max_id": max_id,
        "cycle": fy,
        "teams": {"marketing": marketing, "demand": demand, "sales": sales},
        "objectives": {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5, "o6": o6},
    }


async def _board(tenant: Tenant, cycle_id: str, **params: Any) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v1/cycles/{cycle_id}/scoreboard", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(board: dict[str, Any]) -> list[str]:
    return [o["title"] for team in board["teams"] for o in team["objectives"]]


async def test_scoreboard_groups_totals_compliance_and_matches_objectives(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    org = await _organisation(app, signup, clock)
    tenant, max_id = org["tenant"], org["max_id"]
    board = await _board(tenant, org["cycle"]["id"])
    # Built as JSON values and encoded once (no validation on the hot path): exactly what the contract's model
    # writes for the same board.
    assert ScoreboardPublic.model_validate(board).model_dump(mode="json") == board
    assert board["as_of"].endswith("Z")  # the clock is Berlin's; the answer is UTC
    assert [(t["name"], [o["title"] for o in t["objectives"]]) for t in board["teams"]] == [
        ("Company", ["Grow the company", "Quality"]),
        ("Demand Gen", ["Pipeline"]),
        ("Marketing", ["Brand"]),
        ("Sales", ["My deals"]),
    ]
    assert board["teams"][1]["parent_id"] == org["teams"]["marketing"]["id"]
    objectives = {o["title"]: o for team in board["teams"] for o in team["objectives"]}
    for title, row in objectives.items():
        api = (await tenant.client.get(f"/api/v1/objectives/{row['id']}")).json()
        assert row["progress"] == pytest.approx(api["progress"]), title
        assert row["expected_progress"] == pytest.approx(api["expected_progress"]), title
        assert row["score"] == pytest.approx(api["score"]), title
        assert row["status"] == api["status"], title
    assert [objectives[t]["status"] for t in ("Grow the company", "Brand", "Pipeline", "My deals")] == [
        "on_track",
        "at_risk",
        "at_risk",
        "done",
    ]
    grow = objectives["Grow the company"]
    assert grow["key_result_count"] == 2
    assert grow["key_results_by_status"]["on_track"] == 2
    assert (grow["latest_confidence"], grow["lowest_confidence"]) == (7, 4)
    assert grow["last_check_in_at"] == "2026-02-26T09:00:00Z"
    assert grow["owner_name"] == "Olive Owner"
    assert board["totals"]["key_results"] == {"done": 1, "on_track": 3, "at_risk": 2, "off_track": 1, "no_data": 0}
    assert sum(board["totals"]["objectives"].values()) == 5  # the archived objective is not on the board

    compliance = board["compliance"]
    assert compliance["overall"] == {"key_results": 7, "on_time": 5, "share": 5 / 7}
    assert [(t["name"], t["on_time"], t["key_results"]) for t in compliance["teams"]] == [
        ("Company", 3, 4),  # Events (monthly) last checked in on 10 January
        ("Demand Gen", 1, 1),
        ("Marketing", 0, 1),  # Mentions: never checked in, nine days of grace long gone
        ("Sales", 1, 1),
    ]
    people = {p["user_id"]: (p["on_time"], p["key_results"]) for p in compliance["people"]}
    assert people == {tenant.owner_id: (3, 5), max_id: (2, 2)}


@pytest.mark.parametrize(
    ("filters", "titles"),
    [
        ({"team_id": "marketing"}, ["Brand"]),
        ({"team_id": "marketing", "include_sub_teams": "true"}, ["Pipeline", "Brand"]),
        ({"team_id": "demand", "include_sub_teams": "true"}, ["Pipeline"]),
        ({"owner_id": "max"}, ["Pipeline", "My deals"]),
        ({"level": "individual"}, ["My deals"]),
        ({"level": "company"}, ["Grow the company", "Quality"]),
        ({"kind": "aspirational"}, ["Brand"]),
        ({"kind": "committed", "owner_id": "max", "level": "team"}, ["Pipeline"]),
    ],
    ids=[
        "team-alone",
        "team-with-sub-teams",
        "leaf-team-with-sub-teams",
        "owner",
        "level-individual",
        "level-company",
        "kind",
        "filters-combine",
    ],
)
async def test_scoreboard_filters(
    app: FastAPI, signup: SignUp, clock: FixedClock, filters: dict[str, str], titles: list[str]
) -> None:
    org = await _organisation(app, signup, clock)
    ids = {"max": org["max_id"], **{k: v["id"] for k, v in org["teams"].items()}}
    params = {k: ids.get(v, v) for k, v in filters.items()}
    board = await _board(org["tenant"], org["cycle"]["id"], **params)
    assert _titles(board) == titles
    assert board["compliance"]["overall"]["key_results"] == sum(
        o["key_result_count"] for t in board["teams"] for o in t["objectives"]
    )


async def test_unknown_team_filter_is_404_not_an_empty_board(tenant: Tenant) -> None:
    fy = await cycle(tenant, "FY", "2026-01-01", "2026-12-31")
    response = await tenant.client.get(
        f"/api/v1/cycles/{fy['id']}/scoreboard", params={"team_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 404


async def test_scoreboard_and_health_issue_constant_statements_up_to_1000_objectives(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    small = await bulk_cycle(
        owner_connection, org_id=tenant.org_id, owner_id=tenant.owner_id, objectives=3, key_results_per_objective=2
    )
    large = await bulk_cycle(
        owner_connection, org_id=tenant.org_id, owner_id=tenant.owner_id, objectives=1000, key_results_per_objective=5
    )
    counts: dict[str, list[int]] = {"scoreboard": [], "health": []}
    for cycle_id in (small, large):
        for name in counts:
            await tenant.client.get(f"/api/v1/cycles/{cycle_id}/{name}")  # warm up
            with StatementCounter(app) as counter:
                started = time.perf_counter()
                response = await tenant.client.get(f"/api/v1/cycles/{cycle_id}/{name}")
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            counts[name].append(counter.count)
            size = "large" if cycle_id == large else "small"
            print(f"{name} {size}: {counter.count} statements, {elapsed * 1000:.0f} ms")
    assert counts["scoreboard"][0] == counts["scoreboard"][1]
    assert counts["health"][0] == counts["health"][1]
    board = await _board(tenant, large)
    assert sum(len(t["objectives"]) for t in board["teams"]) == 1000
    assert sum(board["totals"]["key_results"].values()) == 5000
    assert board["compliance"]["overall"]["key_results"] == 5000


async def test_objectives_rolling_up_from_children_match_get_objectives(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY", "2026-01-01", "2026-12-31")
    parent = await objective(tenant, fy["id"], "Company goal", progress_from="children")
    both = await objective(tenant, fy["id"], "Team goal", progress_from="both")
    child = await objective(tenant, fy["id"], "Child goal")
    own = await key_result(tenant, both, title="Own", target_value=100)
    theirs = await key_result(tenant, child, title="Theirs", target_value=10)
    for link in (
        {"child_objective_id": child["id"], "parent_objective_id": parent["id"], "weight": 0.5},
        {"child_objective_id": child["id"], "parent_objective_id": both["id"]},
    ):
        await create(tenant.client, "/api/v1/alignments", link)
    await check_in_at(tenant, clock, "2026-04-01T10:00:00+02:00", own, 60, confidence=7)
    await check_in_at(tenant, clock, "2026-04-02T10:00:00+02:00", theirs, 2, confidence=4)
    clock.set("2026-04-03T10:00:00+02:00")
    board = await _board(tenant, fy["id"])
    rows = {o["title"]: o for team in board["teams"] for o in team["objectives"]}
    for title in ("Company goal", "Team goal", "Child goal"):
        api = (await tenant.client.get(f"/api/v1/objectives/{rows[title]['id']}")).json()
        for field in ("progress", "expected_progress", "score"):
            assert rows[title][field] == pytest.approx(api[field]), (title, field)
        assert rows[title]["status"] == api["status"], title
    assert rows["Company goal"]["progress"] == pytest.approx(0.2)  # only its child: 2 of 10
    assert rows["Team goal"]["progress"] == pytest.approx((0.6 + 0.2) / 2)  # its own and its child, equally
    assert rows["Company goal"]["key_result_count"] == 0


async def test_a_large_aligned_cycle_rolls_up_like_get_objectives_in_constant_statements(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    """The benchmark's shape: most objectives take their own key results and their children (`both`)."""
    counts, boards = [], []
    for size in (4, 1000):
        cycle_id = await bulk_cycle(
            owner_connection,
            org_id=tenant.org_id,
            owner_id=tenant.owner_id,
            objectives=size,
            key_results_per_objective=5,
            aligned=True,
        )
        with StatementCounter(app) as counter:
            started = time.perf_counter()
            boards.append(await _board(tenant, cycle_id))
            elapsed = time.perf_counter() - started
        counts.append(counter.count)
        print(f"aligned scoreboard {size}: {counter.count} statements, {elapsed * 1000:.0f} ms")
    assert counts[0] == counts[1]
    rows = [o for team in boards[1]["teams"] for o in team["objectives"]]
    for row in rows[::50]:
        api = (await tenant.client.get(f"/api/v1/objectives/{row['id']}")).json()
        for field in ("progress", "expected_progress", "score"):
            assert row[field] == pytest.approx(api[field]), (row["title"], field)
        assert row["status"] == api["status"], row["title"]


async def test_latest_confidence_is_the_latest_check_ins_and_the_lower_one_at_the_same_moment(
    tenant: Tenant, clock: FixedClock
) -> None:
    """One plain max over moment and confidence packed in one number (scoreboard_sql.LATEST_CONFIDENCE): the latest
    check-in speaks; two at the same moment, the lower confidence; 0 and 10 come back as they went in."""
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    checked, quiet = await objective(tenant, fy["id"], "Checked"), await objective(tenant, fy["id"], "Quiet")
    a, b, c = [await key_result(tenant, checked, title=t, target_value=100) for t in ("A", "B", "C")]
    await key_result(tenant, quiet, title="Nobody", target_value=100)

    async def confidences() -> dict[str, tuple[int | None, int | None]]:
        board = await _board(tenant, fy["id"])
        rows = [o for team in board["teams"] for o in team["objectives"]]
        return {o["title"]: (o["latest_confidence"], o["lowest_confidence"]) for o in rows}

    await check_in_at(tenant, clock, "2026-01-10T10:00:00+01:00", a, 10, confidence=2)
    await check_in_at(tenant, clock, "2026-01-20T10:00:00.000001+01:00", b, 10, confidence=8)
    await check_in_at(tenant, clock, "2026-01-20T10:00:00.000001+01:00", c, 10, confidence=3)
    assert await confidences() == {"Checked": (3, 2), "Quiet": (None, None)}
    await check_in_at(tenant, clock, "2026-01-20T10:00:00.000002+01:00", a, 20, confidence=10)
    assert (await confidences())["Checked"] == (10, 3)  # a microsecond later is later
    await check_in_at(tenant, clock, "2026-01-20T10:00:00.000002+01:00", b, 20, confidence=0)
    assert (await confidences())["Checked"] == (0, 0)
