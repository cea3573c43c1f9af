"""Calibration on a planted closed cycle: the Brier score of confidence/10 against hitting the target.

Forecasts and outcomes are chosen by hand; the expected numbers are worked out below, to 4 decimals.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, create


async def test_brier_score_of_a_planted_closed_cycle(app: FastAPI, signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    tenant = await signup()
    max_client, max_id = await tenant.member_client(app, "member")
    marketing = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    sales = await create(tenant.client, "/api/v1/teams", {"name": "Sales"})
    clock.set("2026-01-01T09:00:00+01:00")
    h1 = await cycle(tenant, "2026-H1", "2026-01-01", "2026-06-30")
    leads = await objective(tenant, h1["id"], "More leads", level="team", team_id=marketing["id"])
    deals = await objective(tenant, h1["id"], "More deals", level="team", team_id=sales["id"], owner_id=max_id)
    kr1 = await key_result(tenant, leads, title="MQLs", target_value=100)
    kr2 = await key_result(tenant, leads, title="Webinar signups", target_value=100)
    kr3 = await key_result(tenant, deals, title="Deals", target_value=50)

    # KR1 (Olive, Marketing): hits 100.            forecasts 0.8 0.7 0.6 0.9 → outcome 1
    for when, value, confidence in [("02-01", 20, 8), ("03-01", 40, 7), ("05-01", 70, 6), ("06-01", 100, 9)]:
        await check_in_at(tenant, clock, f"2026-{when}T10:00:00+01:00", kr1, value, confidence=confidence)
    # KR2 (Olive, Marketing): ends at 40, a miss.  forecasts 0.9 [0.8 corrected to 0.3] 0.7 0.6 → outcome 0
    kr2_history: list[dict[str, Any]] = []
    for when, value, confidence in [("02-01", 10, 9), ("03-01", 15, 8), ("05-01", 30, 7), ("06-01", 40, 6)]:
        kr2_history.append(
            await check_in_at(tenant, clock, f"2026-{when}T10:00:00+01:00", kr2, value, confidence=confidence)
        )
    await create(
        tenant.client,
        "/api/v1/check-ins",
        {"key_result_id": kr2["id"], "value": 15, "confidence": 3, "corrects": kr2_history[1]["id"], "reason": "typo"},
    )
    # KR3 (Max, Sales): hits 50.                   forecasts 0.2 0.5 → outcome 1
    clock.set("2026-02-01T10:00:00+01:00")
    await create(max_client, "/api/v1/check-ins", {"key_result_id": kr3["id"], "value": 5, "confidence": 2})
    clock.set("2026-05-01T10:00:00+02:00")
    await create(max_client, "/api/v1/check-ins", {"key_result_id": kr3["id"], "value": 50, "confidence": 5})

    clock.set("2026-07-02T09:00:00+02:00")
    closed = await tenant.client.post(f"/api/v1/cycles/{h1['id']}/close")
    assert closed.status_code == 200, closed.text
    calibration = closed.json()["calibration"]

    # Squared errors: KR1 .04+.09+.16+.01 = .30; KR2 .81+.09+.49+.36 = 1.75; KR3 .64+.25 = .89.
    every = calibration["every_check_in"]
    assert every["overall"]["forecasts"] == 10
    assert every["overall"]["key_results"] == 3
    assert round(every["overall"]["brier"], 4) == 0.2940  # 2.94 / 10
    assert round(every["overall"]["mean_confidence"], 4) == 0.6200  # 62 / 100
    assert every["overall"]["hit_rate"] == pytest.approx(0.6)  # 6 of 10 forecasts were on hits
    assert every["overall"]["tendency"] == "calibrated"  # bias 0.02
    people = {p["user_id"]: p for p in every["people"]}
    assert round(people[tenant.owner_id]["brier"], 5) == 0.25625  # 2.05 / 8
    assert people[tenant.owner_id]["bias"] == pytest.approx(0.6875 - 0.5)
    assert people[tenant.owner_id]["tendency"] == "over_confident"
    assert round(people[max_id]["brier"], 4) == 0.4450  # .89 / 2
    assert people[max_id]["tendency"] == "under_confident"  # 0.35 against 1.0
    teams = {t["name"]: t for t in every["teams"]}
    assert set(teams) == {"Marketing", "Sales"}
    assert round(teams["Marketing"]["brier"], 5) == 0.25625
    assert round(teams["Sales"]["brier"], 4) == 0.4450

    # Mid-cycle only: the latest confidence by 1 April — KR1 0.7 (hit) .09, KR2 0.3 (miss) .09, KR3 0.2 (hit) .64.
    middle = calibration["mid_cycle"]["overall"]
    assert middle["forecasts"] == 3
    assert round(middle["brier"], 4) == 0.2733  # 0.82 / 3

    retrospective = await tenant.client.get(f"/api/v1/cycles/{h1['id']}/retrospective")
    assert retrospective.json()["calibration"] == calibration
    health = await tenant.client.get(f"/api/v1/cycles/{h1['id']}/health")
    assert health.json()["calibration"] == calibration
