"""docs/concepts.md worked examples, through the API with the clock pinned (exact numbers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from tests.support import FixedClock, Tenant, create, okr_setup

JULY_1 = "2026-07-01T00:00:00+02:00"  # Europe/Berlin, the organisation's default time zone
SEED = {
    "title": "Leads",
    "start_value": 0,
    "previous_value": 12000,
    "target_value": 18000,
    "stretch_value": 24000,
    "cadence": "monthly",
    "unit": "leads",
}


async def _kr(tenant: Tenant, objective: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await create(tenant.client, "/api/v1/key-results", {"objective_id": objective["id"], **fields})


async def _check_in(tenant: Tenant, kr: dict[str, Any], value: float, **fields: Any) -> dict[str, Any]:
    return await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value, **fields})


async def _read(tenant: Tenant, kr: dict[str, Any]) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v1/key-results/{kr['id']}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("value", "score", "status"),
    [
        (21000, 0.85, "done"),
        (18000, 0.70, "done"),
        (24000, 1.0, "done"),
        (30000, 1.0, "done"),
        (9000, 0.35, "on_track"),
        (6000, pytest.approx(0.7 * 6000 / 18000), "at_risk"),
        (4000, pytest.approx(0.7 * 4000 / 18000), "off_track"),
    ],
    ids=[
        "21000-scores-0.85",
        "18000-scores-0.70",
        "24000-scores-1.0",
        "30000-caps-at-1.0",
        "9000-on-track",
        "6000-at-risk",
        "4000-off-track",
    ],
)
async def test_seed_key_result_scores_and_status(
    tenant: Tenant, clock: FixedClock, value: float, score: Any, status: str
) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, **SEED)
    await _check_in(tenant, kr, value, confidence=7)
    read = await _read(tenant, kr)
    assert read["current_value"] == value
    assert read["score"] == pytest.approx(score)
    assert read["status"] == status
    # 181 of 365 days elapsed at 2026-07-01T00:00 in Europe/Berlin
    assert round(read["expected_progress"], 3) == 0.496
    assert round(read["expected_value"]) == 8926


async def test_linear_pace_of_24000_is_2000_a_month(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    linear = await _kr(tenant, okr.objective, title="Leads (linear)", target_value=24000)
    # Linear by day: 181/365 of 24,000 — "12,000 at the end of June" is the month-rounded figure.
    assert (await _read(tenant, linear))["expected_value"] == pytest.approx(24000 * 181 / 365)
    monthly = await _kr(
        tenant,
        okr.objective,
        title="Leads (2,000 each month)",
        target_value=24000,
        milestone_plan=[{"date": f"2026-{m:02d}-01", "value": 2000 * (m - 1)} for m in range(2, 13)],
    )
    assert (await _read(tenant, monthly))["expected_value"] == pytest.approx(12000)


async def test_milestone_plan_bends_the_expected_value(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-02-15T00:00:00+01:00")
    okr = await okr_setup(tenant.client)
    kr = await _kr(
        tenant,
        okr.objective,
        title="Back-loaded",
        target_value=18000,
        milestone_plan=[{"date": "2026-04-01", "value": 3000}],
    )
    # Between (Jan 1, 0) and (Apr 1, 3000): 45 of 90 days → 1,500 (linear alone would be 2,219).
    read = await _read(tenant, kr)
    assert read["expected_value"] == pytest.approx(1500)
    assert read["expected_progress"] == pytest.approx(1500 / 18000)


async def test_decrease_key_result_churn_5_to_3(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(
        tenant,
        okr.objective,
        title="Churn",
        metric="percent",
        unit="%",
        direction="decrease",
        start_value=5,
        target_value=3,
    )
    await _check_in(tenant, kr, 4, confidence=6)
    read = await _read(tenant, kr)
    assert read["progress"] == pytest.approx(0.5)
    assert read["score"] == pytest.approx(0.5)
    assert read["status"] == "on_track"
    assert read["expected_value"] == pytest.approx(5 - 2 * 181 / 365)


@pytest.mark.parametrize(
    ("fields", "value", "progress"),
    [
        ({"direction": "at_least", "start_value": 30, "target_value": 40}, 42, 1.0),
        ({"direction": "at_least", "start_value": 30, "target_value": 40}, 39, 0.0),
        ({"direction": "at_most", "start_value": 5, "target_value": 2}, 2, 1.0),
        ({"direction": "at_most", "start_value": 5, "target_value": 2}, 3, 0.0),
        ({"metric": "milestone", "start_value": 0, "target_value": 1}, 1, 1.0),
        ({"metric": "milestone", "start_value": 0, "target_value": 1}, 0, 0.0),
    ],
    ids=["at-least-met", "at-least-missed", "at-most-met", "at-most-missed", "milestone-done", "milestone-open"],
)
async def test_threshold_and_milestone_key_results(
    tenant: Tenant, clock: FixedClock, fields: dict[str, Any], value: float, progress: float
) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, title="Threshold", **fields)
    await _check_in(tenant, kr, value, confidence=8)
    read = await _read(tenant, kr)
    assert read["progress"] == progress
    assert read["score"] == progress
    assert read["status"] == ("done" if progress == 1.0 else read["status"])


async def test_correction_lowers_the_current_value_and_both_stay_in_history(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, **SEED)
    first = await _check_in(tenant, kr, 9000, confidence=7)
    correction = await _check_in(tenant, kr, 6000, corrects=first["id"], reason="CRM double-counted webinar leads")
    assert datetime.fromisoformat(correction["checked_in_at"]) == datetime.fromisoformat(first["checked_in_at"])
    read = await _read(tenant, kr)
    assert read["current_value"] == 6000
    assert read["status"] == "at_risk"
    history = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}/check-ins")).json()["items"]
    assert [(c["value"], c["corrects"], c["corrected_by"]) for c in history] == [
        (9000, None, correction["id"]),
        (6000, first["id"], None),
    ]
    again = await tenant.client.post(
        "/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 1, "corrects": first["id"], "reason": "twice"}
    )
    assert again.status_code == 409
    no_reason = await tenant.client.post(
        "/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 1, "corrects": correction["id"]}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["loc"] == ["body", "reason"]


async def test_backdated_older_check_in_keeps_current_value(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, **SEED)
    await _check_in(tenant, kr, 9000, confidence=7)
    old = await _check_in(tenant, kr, 5000, confidence=5, checked_in_at="2026-05-01T09:00:00+02:00")
    assert old["backdated"] is True
    read = await _read(tenant, kr)
    assert read["current_value"] == 9000
    assert read["latest_confidence"] == 7
    history = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}/check-ins")).json()["items"]
    assert [c["value"] for c in history] == [5000, 9000]


async def test_low_confidence_turns_on_track_into_at_risk(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, **SEED)
    await _check_in(tenant, kr, 9000, confidence=4)
    assert (await _read(tenant, kr))["status"] == "on_track"
    await _check_in(tenant, kr, 9000, confidence=2)
    assert (await _read(tenant, kr))["status"] == "at_risk"


async def test_objective_progress_is_the_weighted_mean_of_clamped_progress(tenant: Tenant, clock: FixedClock) -> None:
    clock.set(JULY_1)
    okr = await okr_setup(tenant.client)
    a = await _kr(tenant, okr.objective, title="A", target_value=100, weight=1)
    b = await _kr(tenant, okr.objective, title="B", target_value=100, weight=3)
    await _check_in(tenant, a, 50, confidence=7)
    await _check_in(tenant, b, 120, confidence=7)  # 1.2 clamps to 1.0
    objective = (await tenant.client.get(f"/api/v1/objectives/{okr.objective['id']}")).json()
    assert objective["progress"] == pytest.approx((0.5 * 1 + 1.0 * 3) / 4)
    assert objective["expected_progress"] == pytest.approx(181 / 365)
    assert objective["status"] == "on_track"
    assert sorted(kr["title"] for kr in objective["key_results"]) == ["A", "B"]


async def test_no_data_after_one_cadence_without_check_ins(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-01-05T12:00:00+01:00")
    okr = await okr_setup(tenant.client)
    kr = await _kr(tenant, okr.objective, title="Weekly", target_value=10, cadence="weekly")
    assert (await _read(tenant, kr))["status"] == "on_track"
    assert (await _read(tenant, kr))["stale"] is False
    clock.set("2026-01-09T12:00:00+01:00")  # more than one week after the start, still no check-in
    etag = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).headers["etag"]
    edit = await tenant.client.patch(
        f"/api/v1/key-results/{kr['id']}", json={"title": "Weekly!"}, headers={"If-Match": etag}
    )
    assert edit.json()["status"] == "no_data"
    assert edit.json()["stale"] is False  # stale only after the period plus 2 days of grace
    clock.set("2026-01-10T12:00:01+01:00")
    assert (await _read(tenant, kr))["stale"] is True


@pytest.mark.parametrize("day", ["2025-12-01", "2026-01-01", "2026-03-29", "2026-07-01", "2026-10-25", "2027-02-01"])
@pytest.mark.parametrize(("start", "target"), [(0, 24000), (5, 3), (-10, 10)])
def test_linear_fast_path_equals_the_scoring_definition(day: str, start: float, target: float) -> None:
    from datetime import date as _date
    from datetime import datetime as _datetime
    from uuid import uuid4
    from zoneinfo import ZoneInfo

    from sightline import scoring
    from sightline.identity.schemas import OrganisationSettings
    from sightline.okrs.derive import Calendar, expected
    from sightline.okrs.models import Cycle, KeyResult

    cycle = Cycle(org_id=uuid4(), name="FY", start_date=_date(2026, 1, 1), end_date=_date(2026, 12, 31))
    calendar = Calendar.of(OrganisationSettings(), cycle)
    kr = KeyResult(
        org_id=cycle.org_id,
        objective_id=uuid4(),
        title="x",
        owner_id=uuid4(),
        metric="number",
        direction="increase" if target > start else "decrease",
        start_value=start,
        target_value=target,
        cadence="weekly",
        milestone_plan=[],
        current_value=start,
    )
    now = _datetime.fromisoformat(day).replace(hour=13, tzinfo=ZoneInfo("Europe/Berlin"))
    kwargs: dict[str, Any] = {
        "metric": scoring.Metric.number,
        "direction": scoring.Direction(kr.direction),
        "start": start,
        "target": target,
        "cycle_start": calendar.start,
        "cycle_end": calendar.end,
        "plan": [],
        "now": now,
    }
    value, progress = expected(kr, calendar=calendar, now=now)
    assert value == pytest.approx(scoring.expected_value(**kwargs))  # type: ignore[arg-type]
    assert progress == pytest.approx(scoring.expected_progress(**kwargs))  # type: ignore[arg-type]
