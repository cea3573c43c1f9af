"""Closing a cycle: grades match the score function, check-ins freeze, one cycle.closed whatever the races."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective
from tests.support import FixedClock, Tenant, create, okr_setup

from sightline import scoring
from sightline.scoring import Direction, Metric


async def _events(connection: asyncpg.Connection, object_id: str, type_: str) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM events WHERE object_id = $1 AND type = $2", uuid.UUID(object_id), type_
    )
    return count


async def _graded_cycle(tenant: Tenant, clock: FixedClock) -> dict[str, Any]:
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, f"FY-{uuid.uuid4().hex[:4]}", "2026-01-01", "2026-12-31")
    committed = await objective(tenant, fy["id"], "Demand")
    stretchy = await objective(tenant, fy["id"], "Moonshot", kind="aspirational")
    draft = await objective(tenant, fy["id"], "Maybe later", state="draft")
    specs = [
        (committed, {"title": "Leads", "target_value": 18000, "stretch_value": 24000, "previous_value": 12000}, 21000),
        (committed, {"title": "Churn", "direction": "decrease", "start_value": 10, "target_value": 6}, 7),
        (committed, {"title": "Launch", "metric": "milestone", "start_value": 0, "target_value": 1}, 1),
        (stretchy, {"title": "NPS", "direction": "at_least", "start_value": 20, "target_value": 50}, 45),
        (stretchy, {"title": "Press", "target_value": 10}, None),
    ]
    krs = []
    for goal, fields, value in specs:
        kr = await key_result(tenant, goal, **fields)
        if value is not None:
            await check_in_at(tenant, clock, "2026-11-02T10:00:00+01:00", kr, value, confidence=6)
        krs.append((kr, value))
    await key_result(tenant, draft, title="Idea", target_value=5)
    clock.set("2026-12-31T18:00:00+01:00")
    return {"cycle": fy, "krs": krs, "objectives": [committed, stretchy, draft]}


async def test_close_grades_with_the_score_function_and_freezes(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    setup = await _graded_cycle(tenant, clock)
    cycle_id = setup["cycle"]["id"]
    response = await tenant.client.post(f"/api/v1/cycles/{cycle_id}/close")
    assert response.status_code == 200, response.text
    retrospective = response.json()
    assert retrospective["key_results"] == 6
    grades = {
        g["key_result_id"]: g for g in (await tenant.client.get(f"/api/v1/cycles/{cycle_id}/grades")).json()["items"]
    }
    for kr, value in setup["krs"]:
        final = kr["start_value"] if value is None else value
        expected = scoring.score(
            metric=Metric(kr["metric"]),
            direction=Direction(kr["direction"]),
            start=kr["start_value"],
            target=kr["target_value"],
            stretch=kr["stretch_value"],
            current=final,
        )
        assert grades[kr["id"]]["score"] == expected, kr["title"]
        assert grades[kr["id"]]["final_value"] == final
    by_title = {kr["title"]: grades[kr["id"]] for kr, _ in setup["krs"]}
    assert by_title["Leads"]["score"] == pytest.approx(0.85)
    assert by_title["Leads"]["hit"] is True
    assert by_title["Leads"]["ambition"] == 0.5
    assert by_title["Churn"]["score"] == pytest.approx(0.75)
    assert by_title["Churn"]["hit"] is False
    assert by_title["NPS"]["hit"] is False
    assert by_title["Press"]["score"] == 0.0
    stored = await owner_connection.fetch(
        "SELECT key_result_id, score, hit FROM key_result_grades WHERE cycle_id = $1", uuid.UUID(cycle_id)
    )
    assert {str(r["key_result_id"]): r["score"] for r in stored} == {k: g["score"] for k, g in grades.items()}

    distribution = {d["kind"]: d for d in retrospective["grade_distribution"]}
    assert distribution["committed"]["key_results"] == 4  # including the draft objective's key result
    assert distribution["aspirational"]["bins"][0]["count"] == 2  # NPS missed its threshold, Press never moved
    assert distribution["aspirational"]["flags"] == ["aspirational_unrealistic"]

    states = await owner_connection.fetch("SELECT state FROM objectives WHERE cycle_id = $1", uuid.UUID(cycle_id))
    assert {r["state"] for r in states} == {"closed"}
    assert (await tenant.client.get(f"/api/v1/cycles/{cycle_id}")).json()["state"] == "closed"

    leads = setup["krs"][0][0]
    refused = await tenant.client.post("/api/v1/check-ins", json={"key_result_id": leads["id"], "value": 1})
    assert refused.status_code == 409
    assert "frozen" in refused.json()["detail"]
    assert (await tenant.client.patch(f"/api/v1/cycles/{cycle_id}", json={"state": "active"})).status_code == 409
    new_kr = await tenant.client.post(
        "/api/v1/key-results", json={"objective_id": setup["objectives"][0]["id"], "title": "Late", "target_value": 3}
    )
    assert new_kr.status_code == 409
    assert await _events(owner_connection, cycle_id, "cycle.closed") == 1
    assert await _events(owner_connection, leads["id"], "key_result.graded") == 1


async def test_retrospective_and_health_carry_line_of_sight_and_spend_per_objective(
    tenant: Tenant, clock: FixedClock
) -> None:
    setup = await _graded_cycle(tenant, clock)
    cycle_id = setup["cycle"]["id"]
    demand = setup["objectives"][0]
    leads = setup["krs"][0][0]
    team = await create(tenant.client, "/api/v1/teams", {"name": "Field"})
    await objective(tenant, cycle_id, "Orphan", level="team", team_id=team["id"])
    webinars = await create(
        tenant.client,
        "/api/v1/initiatives",
        {"title": "Webinars", "planned_budget": "5000", "key_results": [{"key_result_id": leads["id"]}]},
    )
    await create(
        tenant.client, f"/api/v1/initiatives/{webinars['id']}/spend", {"amount": "3000.25", "spent_on": "2026-06-01"}
    )
    stray = await create(
        tenant.client,
        "/api/v1/initiatives",
        {"title": "Stray ads", "start_date": "2026-05-01", "end_date": "2026-05-31"},
    )
    await create(tenant.client, f"/api/v1/initiatives/{stray['id']}/spend", {"amount": "500", "spent_on": "2026-05-10"})

    live = (await tenant.client.get(f"/api/v1/cycles/{cycle_id}/health")).json()["coverage"]
    closed = await tenant.client.post(f"/api/v1/cycles/{cycle_id}/close")
    assert closed.status_code == 200, closed.text
    at_close = closed.json()["coverage"]
    assert at_close == live
    figures = {k: v for k, v in at_close.items() if k != "spend_by_objective"}
    assert figures == {
        "currency": "EUR",
        "objectives": 4,
        "objectives_without_parent": 1,  # the team objective aligned to nothing
        "key_results": 6,
        "key_results_without_initiative": 5,
        "unaligned_initiatives": 1,
        "unaligned_spend": "500.00",
        "spend": "3000.25",
        "teams_without_objectives": 0,
        "over_claimed_key_results": 0,
    }
    by_title = {o["title"]: o for o in at_close["spend_by_objective"]}
    assert (by_title["Demand"]["spend"], by_title["Demand"]["rolled_up_spend"]) == ("3000.25", "3000.25")
    assert by_title["Orphan"]["spend"] == "0.00"
    assert by_title["Demand"]["objective_id"] == demand["id"]

    # Spend recorded after the close changes neither the retrospective nor the closed cycle's health.
    await create(tenant.client, f"/api/v1/initiatives/{stray['id']}/spend", {"amount": "100", "spent_on": "2026-12-30"})
    assert (await tenant.client.get(f"/api/v1/cycles/{cycle_id}/retrospective")).json()["coverage"] == at_close
    assert (await tenant.client.get(f"/api/v1/cycles/{cycle_id}/health")).json()["coverage"] == at_close


async def test_two_concurrent_closes_emit_cycle_closed_once_and_reclose_is_idempotent(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    setup = await _graded_cycle(tenant, clock)
    cycle_id = setup["cycle"]["id"]
    first, second = await asyncio.gather(
        tenant.client.post(f"/api/v1/cycles/{cycle_id}/close"),
        tenant.client.post(f"/api/v1/cycles/{cycle_id}/close"),
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert await _events(owner_connection, cycle_id, "cycle.closed") == 1
    graded = await owner_connection.fetchval(
        "SELECT count(*) FROM key_result_grades WHERE cycle_id = $1", uuid.UUID(cycle_id)
    )
    assert graded == 6
    events_before = await owner_connection.fetchval(
        "SELECT count(*) FROM events WHERE org_id = $1", uuid.UUID(tenant.org_id)
    )
    clock.set("2027-01-05T09:00:00+01:00")
    again = await tenant.client.post(f"/api/v1/cycles/{cycle_id}/close")
    assert again.status_code == 200
    assert again.json() == first.json()  # the stored retrospective, closed_at unchanged
    events_after = await owner_connection.fetchval(
        "SELECT count(*) FROM events WHERE org_id = $1", uuid.UUID(tenant.org_id)
    )
    assert events_after == events_before


# The sessions waiting on a lock held by this session, or held by a session that itself waits on this one.
BEHIND_THIS_TRANSACTION = """
WITH RECURSIVE behind(pid) AS (
    SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
    UNION
    SELECT a.pid FROM pg_stat_activity a JOIN behind b ON b.pid = ANY(pg_blocking_pids(a.pid))
)
SELECT count(*) FROM behind
"""


async def test_a_check_in_racing_the_close_is_refused_not_lost(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    """The check-in reads the cycle while the close holds the key result: it must see `closed` afterwards."""
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "KR", "target_value": 10}
    )

    async def waiting_on_locks(count: int) -> None:
        """Until `count` sessions wait behind this transaction (directly, or behind one that waits on it): only
        this test's requests, whatever other tests, workers or runs hold or wait for on the same server."""
        for _ in range(500):
            # Activity statistics are a snapshot per transaction, and this one holds the lock: refresh it.
            await owner_connection.execute("SELECT pg_stat_clear_snapshot()")
            waiting = await owner_connection.fetchval(BEHIND_THIS_TRANSACTION)
            if waiting >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} requests waiting on a lock")

    async with owner_connection.transaction():
        # Hold the key result so both requests queue behind it: the close first, then the check-in.
        await owner_connection.execute("SELECT 1 FROM key_results WHERE id = $1 FOR UPDATE", uuid.UUID(kr["id"]))
        close = asyncio.create_task(tenant.client.post(f"/api/v1/cycles/{okr.cycle['id']}/close"))
        await waiting_on_locks(1)
        check_in = asyncio.create_task(
            tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 9})
        )
        await waiting_on_locks(2)
    closed, checked_in = await close, await check_in
    assert closed.status_code == 200
    assert checked_in.status_code == 409, checked_in.text
    assert (
        await owner_connection.fetchval("SELECT count(*) FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"]))
        == 0
    )
    grade = await owner_connection.fetchval(
        "SELECT final_value FROM key_result_grades WHERE key_result_id = $1", uuid.UUID(kr["id"])
    )
    assert grade == 0.0


async def test_a_cycle_in_planning_cannot_be_closed_and_retrospective_waits_for_the_close(tenant: Tenant) -> None:
    planning = await create(
        tenant.client, "/api/v1/cycles", {"name": "Someday", "start_date": "2027-01-01", "end_date": "2027-03-31"}
    )
    refused = await tenant.client.post(f"/api/v1/cycles/{planning['id']}/close")
    assert refused.status_code == 409
    assert "planning" in refused.json()["detail"]
    assert (await tenant.client.get(f"/api/v1/cycles/{planning['id']}/retrospective")).status_code == 409
    assert (await tenant.client.get(f"/api/v1/cycles/{uuid.uuid4()}/retrospective")).status_code == 404
    assert (await tenant.client.post(f"/api/v1/cycles/{uuid.uuid4()}/close")).status_code == 404


async def test_a_viewer_cannot_close(app: FastAPI, tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    viewer, _ = await tenant.member_client(app, "viewer")
    assert (await viewer.post(f"/api/v1/cycles/{okr.cycle['id']}/close")).status_code == 403
    assert (await viewer.get(f"/api/v1/cycles/{okr.cycle['id']}/health")).status_code == 200


async def test_a_cycle_closed_before_grading_existed_has_health_but_no_retrospective(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    await owner_connection.execute("UPDATE cycles SET state = 'closed' WHERE id = $1", uuid.UUID(okr.cycle["id"]))
    health = await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/health")
    assert health.status_code == 200
    assert (health.json()["calibration"], health.json()["grade_distribution"]) == (None, None)
    retrospective = await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/retrospective")
    assert retrospective.status_code == 409
    assert "before retrospectives existed" in retrospective.json()["detail"]
