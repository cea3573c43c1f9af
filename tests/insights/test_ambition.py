"""Ambition through the API: the seed example with exact numbers, hit_early, the threshold setting, sandbagging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, Tenant


async def _seed(tenant: Tenant, clock: FixedClock) -> dict[str, Any]:
    """12,000 leads last year; one target repeats it, one asks 18,000 (stretch 24,000) and gets there in May."""
    clock.set("2026-01-05T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    demand = await objective(tenant, fy["id"], "Fill the pipeline")
    same = await key_result(tenant, demand, title="Leads as always", previous_value=12000, target_value=12000)
    seed = await key_result(
        tenant, demand, title="Leads", previous_value=12000, target_value=18000, stretch_value=24000
    )
    await check_in_at(tenant, clock, "2026-03-02T10:00:00+01:00", seed, 7000, confidence=6)
    await check_in_at(tenant, clock, "2026-05-18T10:00:00+02:00", seed, 18000, confidence=9)
    clock.set("2026-07-01T10:00:00+02:00")
    return {"cycle": fy, "same": same, "seed": seed}


async def test_seed_example_ambition_and_hit_early(tenant: Tenant, clock: FixedClock) -> None:
    seed = await _seed(tenant, clock)
    response = await tenant.client.get(f"/api/v1/cycles/{seed['cycle']['id']}/ambition")
    assert response.status_code == 200, response.text
    report = response.json()
    by_id = {k["key_result_id"]: k for k in report["key_results"]}
    same, leads = by_id[seed["same"]["id"]], by_id[seed["seed"]["id"]]
    assert same["ambition"] == 0.0
    assert same["flags"] == ["low_ambition"]
    assert leads["ambition"] == 0.5
    assert leads["stretch_ambition"] == 1.0
    assert leads["flags"] == ["hit_early"]  # 18,000 reached on 18 May: 37 % of the year
    assert leads["hit_at"] == "2026-05-18T08:00:00Z"
    assert report["low_ambition_threshold"] == 0.0
    assert report["cycle"] == {
        "key_results": 2,
        "with_baseline": 2,
        "mean_ambition": 0.25,
        "mean_stretch_ambition": 1.0,
        "low_ambition": 1,
        "no_baseline": 0,
        "hit_early": 1,
        "sandbagging_suspect": 0,
    }
    assert [t["name"] for t in report["teams"]] == ["Company"]

    health = (await tenant.client.get(f"/api/v1/cycles/{seed['cycle']['id']}/health")).json()
    assert health["ambition"]["cycle"] == report["cycle"]
    assert {k["key_result_id"] for k in health["ambition"]["key_results"]} == set(by_id)  # both are flagged


async def test_low_ambition_threshold_is_an_organisation_setting(tenant: Tenant, clock: FixedClock) -> None:
    real_time(clock)
    etag = (await tenant.client.get("/api/v1/organisation")).headers["etag"]
    updated = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"low_ambition_threshold": 0.6}}, headers={"If-Match": etag}
    )
    assert updated.status_code == 200, updated.text
    seed = await _seed(tenant, clock)
    report = (await tenant.client.get(f"/api/v1/cycles/{seed['cycle']['id']}/ambition")).json()
    leads = next(k for k in report["key_results"] if k["key_result_id"] == seed["seed"]["id"])
    assert leads["flags"] == ["low_ambition", "hit_early"]  # 0.5 ≤ 0.6
    assert report["low_ambition_threshold"] == 0.6


async def test_sandbagging_suspect_after_two_timid_quarters_hit(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    _, sam = await tenant.member_client(app, "member")
    quarters = [("2026-Q1", "2026-01-01", "2026-03-31"), ("2026-Q2", "2026-04-01", "2026-06-30")]
    for name, start, end in quarters:
        clock.set(f"{start}T09:00:00+01:00")
        quarter = await cycle(tenant, name, start, end)
        goal = await objective(tenant, quarter["id"], f"Hold the line {name}", owner_id=sam)
        timid = await key_result(tenant, goal, title="Leads", previous_value=3000, target_value=3000, owner_id=sam)
        await check_in_at(tenant, clock, f"{end}T12:00:00+02:00", timid, 3100, confidence=9)
        clock.set(f"{end}T18:00:00+02:00")
        assert (await tenant.client.post(f"/api/v1/cycles/{quarter['id']}/close")).status_code == 200
    q2 = (await tenant.client.get("/api/v1/cycles", params={"state": "closed"})).json()["items"][-1]
    retrospective = (await tenant.client.get(f"/api/v1/cycles/{q2['id']}/retrospective")).json()
    assert retrospective["ambition"]["cycle"]["sandbagging_suspect"] == 1
    [flagged] = retrospective["ambition"]["key_results"]
    assert flagged["flags"] == ["low_ambition", "sandbagging_suspect"]
    # The next quarter's committed results of the same owner carry the flag from the start, as a prompt.
    clock.set("2026-07-01T09:00:00+02:00")
    q3 = await cycle(tenant, "2026-Q3", "2026-07-01", "2026-09-30")
    goal = await objective(tenant, q3["id"], "Grow for real", owner_id=sam)
    await key_result(tenant, goal, title="Leads", previous_value=3000, target_value=4500, owner_id=sam)
    report = (await tenant.client.get(f"/api/v1/cycles/{q3['id']}/ambition")).json()
    assert report["key_results"][0]["flags"] == ["sandbagging_suspect"]
    assert report["key_results"][0]["ambition"] == pytest.approx(0.5)
