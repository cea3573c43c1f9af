"""Honesty signals find exactly what was planted in a fixture cycle, and nothing in a clean one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, Tenant, create

MONTHS = range(2, 12)  # February to November: a steady monthly rhythm


async def _history(
    tenant: Tenant, clock: FixedClock, kr: dict[str, Any], step: float, *, skip: int | None = None
) -> list[dict[str, Any]]:
    """One check-in on the 1st of each month, moving `step` a month, confidence varying between 5 and 7."""
    made = []
    for month in MONTHS:
        if month == skip:
            continue
        when = f"2026-{month:02d}-01T10:00:00+01:00"
        made.append(await check_in_at(tenant, clock, when, kr, step * (month - 1), confidence=5 + month % 3))
    return made


async def _cycle_with_history(tenant: Tenant, clock: FixedClock, name: str, *, planted: bool) -> dict[str, Any]:
    clock.set("2026-01-02T09:00:00+01:00")
    marketing = await create(tenant.client, "/api/v1/teams", {"name": f"Marketing {name}"})
    fy = await cycle(tenant, name, "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], "Demand", level="team", team_id=marketing["id"])
    leads = await key_result(tenant, goal, title="Leads", target_value=12000)
    pipeline = await key_result(tenant, goal, title="Pipeline", target_value=1000)
    revenue = await key_result(tenant, goal, title="Revenue", target_value=100)

    leads_history = await _history(tenant, clock, leads, 1000)
    await _history(tenant, clock, pipeline, 80, skip=6 if planted else None)
    await _history(tenant, clock, revenue, 5)
    planted_ids: dict[str, str] = {}
    if planted:
        clock.set("2026-06-20T10:00:00+02:00")
        backdated = await create(
            tenant.client,
            "/api/v1/check-ins",
            {
                "key_result_id": pipeline["id"],
                "value": 400,
                "confidence": 6,
                "checked_in_at": "2026-06-01T10:00:00+02:00",
            },
        )
        assert backdated["backdated"] is True
        correction = await create(
            tenant.client,
            "/api/v1/check-ins",
            {
                "key_result_id": leads["id"],
                "value": 2900,
                "corrects": leads_history[2]["id"],
                "reason": "double-counted",
            },
        )
        planted_ids = {"backdated": backdated["id"], "correction": correction["id"]}
    # December: the revenue either jumps 45 % of its range (planted) or keeps its pace (clean).
    last = await check_in_at(tenant, clock, "2026-12-20T10:00:00+01:00", revenue, 95 if planted else 55, confidence=8)
    if planted:
        planted_ids["late_jump"] = last["id"]
    clock.set("2026-12-22T10:00:00+01:00")
    return {"cycle": fy, "team": marketing, "leads": leads, "pipeline": pipeline, "revenue": revenue, **planted_ids}


async def test_planted_correction_backdating_and_late_jump_are_found_exactly(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    planted = await _cycle_with_history(tenant, clock, "Planted", planted=True)
    health = await tenant.client.get(f"/api/v1/cycles/{planted['cycle']['id']}/health")
    assert health.status_code == 200, health.text
    honesty = health.json()["honesty"]
    assert "never verdicts" in honesty["note"]
    found = sorted((s["kind"], s["key_result_id"], s["check_in_id"]) for s in honesty["signals"])
    assert found == sorted(
        [
            ("correction", planted["leads"]["id"], planted["correction"]),
            ("backdated", planted["pipeline"]["id"], planted["backdated"]),
            ("late_jump", planted["revenue"]["id"], planted["late_jump"]),
        ]
    )
    correction = next(s for s in honesty["signals"] if s["kind"] == "correction")
    assert correction["reason"] == "double-counted"
    assert correction["size"] == 100 / 12000  # 3000 corrected to 2900, of a 12,000 range
    backdated = next(s for s in honesty["signals"] if s["kind"] == "backdated")
    assert backdated["detail"] == "recorded 19 days after the moment it reports"  # words, not raw timestamps
    late = next(s for s in honesty["signals"] if s["kind"] == "late_jump")
    assert late["size"] == 0.45  # 50 → 95 of a 0–100 range, with 3 % of the year left
    counts = {"total": 3, "correction": 1, "backdated": 1, "late_jump": 1, "flat_then_jump": 0}
    assert {k: honesty["cycle"][k] for k in counts} == counts
    assert [(t["name"], t["total"]) for t in honesty["teams"]] == [("Marketing Planted", 3)]
    assert [(p["user_id"], p["total"]) for p in honesty["people"]] == [(tenant.owner_id, 3)]

    closed = (await tenant.client.post(f"/api/v1/cycles/{planted['cycle']['id']}/close")).json()
    assert closed["honesty"] == honesty


async def test_a_clean_cycle_has_no_signal(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    tenant = await signup()
    clean = await _cycle_with_history(tenant, clock, "Clean", planted=False)
    honesty = (await tenant.client.get(f"/api/v1/cycles/{clean['cycle']['id']}/health")).json()["honesty"]
    assert honesty["signals"] == []
    assert honesty["cycle"]["total"] == 0
    assert honesty["teams"] == []
