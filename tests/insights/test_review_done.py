"""Issue 15, point 15: a key result already done is never on the review agenda for a missing check-in."""

from __future__ import annotations

from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, create


async def test_done_key_results_are_not_missing_a_check_in(signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)
    tenant = await signup()
    team = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], "Demand", level="team", team_id=team["id"])
    done = await key_result(tenant, goal, title="Reached early", target_value=100, cadence="weekly")
    launched = await key_result(tenant, goal, title="Launched", metric="milestone", target_value=1, cadence="weekly")
    silent = await key_result(tenant, goal, title="Silent", target_value=100, cadence="weekly")
    await check_in_at(tenant, clock, "2026-04-01T10:00:00+02:00", done, 100, confidence=9)
    await check_in_at(tenant, clock, "2026-04-01T11:00:00+02:00", launched, 1, confidence=10)
    await check_in_at(tenant, clock, "2026-04-01T12:00:00+02:00", silent, 60, confidence=7)
    clock.set("2026-06-02T12:00:00+02:00")  # two months without a check-in on any of them

    agenda = (await tenant.client.get(f"/api/v1/teams/{team['id']}/review")).json()
    assert agenda["key_results_reviewed"] == 3
    reasons = {item["title"]: item["reasons"] for item in agenda["items"]}
    assert "missing_check_in" in reasons["Silent"]
    assert "Reached early" not in reasons
    assert "Launched" not in reasons
    states = {
        kr["title"]: (kr["status"], kr["stale"])
        for kr in [(await tenant.client.get(f"/api/v1/key-results/{k['id']}")).json() for k in (done, launched)]
    }
    assert states == {"Reached early": ("done", True), "Launched": ("done", True)}  # stale, and done: not missing
