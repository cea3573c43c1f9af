"""Bounded input: every date and number the computations read is held to a range they cannot overflow in.

Extremes answer a field-level 422 or compute fine, never a 500 (the test clients fail on any 5xx). A cycle
stored before the bounds existed (ending 9999-12-31) is still read and still scheduled.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.support import FixedClock, Tenant, create, okr_setup, run_for_org

from sightline.okrs.recompute import recompute_org
from sightline.okrs.reminders import remind_org

FAR_PAST = "0001-01-01T00:00:00+14:00"  # overflows when moved to UTC
FAR_FUTURE = "9999-12-31T23:59:59-14:00"


def locs(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in response.json()["errors"]]


async def cycle(client: httpx.AsyncClient, start: str, end: str) -> httpx.Response:
    name = f"C-{uuid.uuid4().hex[:6]}"
    return await client.post("/api/v1/cycles", json={"name": name, "start_date": start, "end_date": end})


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        pytest.param("2026-01-01", "9999-12-31", "end_date", id="ends-9999"),
        pytest.param("0001-01-01", "0001-12-31", "start_date", id="year-1"),
        pytest.param("1899-12-31", "1900-06-30", "start_date", id="before-1900"),
        pytest.param("2200-06-01", "2201-01-01", "end_date", id="after-2200"),
        pytest.param("2026-01-01", "2031-01-01", "end_date", id="five-years-and-a-day"),
        pytest.param("2028-02-29", "2033-03-01", "end_date", id="leap-day-start"),
    ],
)
async def test_a_cycle_beyond_the_bounds_is_a_field_level_422(tenant: Tenant, start: str, end: str, field: str) -> None:
    assert ["body", field] in locs(await cycle(tenant.client, start, end))


async def test_a_cycle_may_last_five_years_and_move_only_within_the_bounds(tenant: Tenant) -> None:
    five = await cycle(tenant.client, "2026-01-01", "2030-12-31")
    assert five.status_code == 201, five.text
    assert (await cycle(tenant.client, "2028-02-29", "2033-02-28")).status_code == 201
    assert (await cycle(tenant.client, "1900-01-01", "1900-12-31")).status_code == 201
    assert (await cycle(tenant.client, "2196-01-01", "2200-12-31")).status_code == 201
    url = f"/api/v1/cycles/{five.json()['id']}"
    assert ["body", "end_date"] in locs(await tenant.client.patch(url, json={"end_date": "2031-01-01"}))
    assert ["body", "end_date"] in locs(await tenant.client.patch(url, json={"end_date": "9999-12-31"}))
    assert ["body", "start_date"] in locs(await tenant.client.patch(url, json={"start_date": "0001-01-01"}))
    assert (await tenant.client.patch(url, json={"start_date": "2027-01-01"})).status_code == 200


async def test_every_date_input_answers_422_at_the_extremes(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    kr = await create(
        client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "K", "target_value": 10}
    )
    team = await create(client, "/api/v1/teams", {"name": "Growth"})
    initiative = await create(client, "/api/v1/initiatives", {"title": "Launch"})
    for moment in (FAR_PAST, FAR_FUTURE):
        day = moment[:10]
        body = {"key_result_id": kr["id"], "value": 1, "checked_in_at": moment}
        assert ["body", "checked_in_at"] in locs(await client.post("/api/v1/check-ins", json=body))
        batch = {"items": [{"key_result_id": kr["id"], "value": 1, "checked_in_at": moment}]}
        assert ["body", "items", 0, "checked_in_at"] in locs(await client.post("/api/v1/check-ins:batch", json=batch))
        plan = {"milestone_plan": [{"date": day, "value": 5}]}
        assert ["body", "milestone_plan", 0, "date"] in locs(
            await client.patch(f"/api/v1/key-results/{kr['id']}", json=plan)
        )
        review = f"/api/v1/teams/{team['id']}/review"
        assert ["query", "since"] in locs(await client.get(review, params={"since": moment}))
        for field in ("held_at", "since"):
            recorded = await client.post(f"/api/v1/teams/{team['id']}/reviews", json={field: moment})
            assert ["body", field] in locs(recorded)
        recover = f"/api/v1/webhook-endpoints/{uuid.uuid4()}/recover"
        assert ["body", "since"] in locs(await client.post(recover, json={"since": moment}))
        for field in ("start_date", "end_date"):
            made = await client.post("/api/v1/initiatives", json={"title": "Far", field: day})
            assert ["body", field] in locs(made)
        spend = f"/api/v1/initiatives/{initiative['id']}/spend"
        assert ["body", "spent_on"] in locs(await client.post(spend, json={"amount": "10.00", "spent_on": day}))
        assert ["query", "until"] in locs(await client.get(spend, params={"until": day}))
        assert ["query", "as_of"] in locs(await client.get("/api/v1/initiatives", params={"as_of": day}))
        coverage = f"/api/v1/cycles/{okr.cycle['id']}/coverage"
        assert ["query", "as_of"] in locs(await client.get(coverage, params={"as_of": day}))
        imported = await client.post(
            f"/api/v1/cycles/{okr.cycle['id']}/import",
            json={
                "key_results_csv": "id,objective,title,target_value\nK1,Grow demand,Imported,10\n",
                "check_ins_csv": f"id,key_result_id,value,checked_in_at\n1,K1,5,{moment}\n",
            },
        )
        assert imported.status_code == 422, imported.text


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"start_value": -1e15, "target_value": 1e15}, id="widest-range"),
        pytest.param({"start_value": 0, "target_value": 5e-324}, id="narrowest-range"),
        pytest.param({"start_value": 1e15, "target_value": -1e15, "direction": "decrease"}, id="widest-decrease"),
        pytest.param({"target_value": 1e15 - 2**3, "stretch_value": 1e15}, id="stretch-a-hair-above"),
        pytest.param({"target_value": 1e15, "direction": "at_least", "weight": 5e-324}, id="tiny-weight"),
    ],
)
async def test_extreme_numbers_compute_everywhere(
    app: FastAPI, tenant: Tenant, clock: FixedClock, body: dict[str, Any]
) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(tenant.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "K", **body})
    for value in (1e15, -1e15, 0):
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value})
        read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
        numbers = ("progress", "score", "expected_value", "expected_progress")
        assert all(isinstance(read[field], float) for field in numbers), read  # JSON has no infinity
        await _read_everything(app, tenant, okr.cycle["id"], okr.objective["id"], kr["id"])
    # The scheduled jobs on this organisation (errors raised, not only logged as the sweep over all does).
    assert await run_for_org(app, tenant.org_id, recompute_org, clock.now) >= 0
    assert await run_for_org(app, tenant.org_id, remind_org, clock.now) >= 0


@pytest.mark.parametrize("value", [1e15 * 1.0001, -1.1e15, "NaN", "Infinity", "1e400", True])
async def test_numbers_beyond_the_bounds_are_a_422(tenant: Tenant, value: Any) -> None:
    okr = await okr_setup(tenant.client)
    made = await tenant.client.post(
        "/api/v1/key-results", json={"objective_id": okr.objective["id"], "title": "K", "target_value": value}
    )
    assert ["body", "target_value"] in locs(made)


async def test_a_cycle_stored_before_the_bounds_is_still_read_and_scheduled(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "K", "target_value": 100, "cadence": "weekly"},
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 10, "confidence": 8})
    # What the API accepted before: a cycle that never ends, and one from the year 1.
    await owner_connection.execute(
        "UPDATE cycles SET start_date = '0001-01-01', end_date = '9999-12-31' WHERE id = $1",
        uuid.UUID(okr.cycle["id"]),
    )
    await _read_everything(app, tenant, okr.cycle["id"], okr.objective["id"], kr["id"])
    cycle_read = (await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}")).json()
    assert (cycle_read["start_date"], cycle_read["end_date"]) == ("0001-01-01", "9999-12-31")
    later = datetime.fromisoformat("2026-09-01T00:00:00+02:00")
    assert await run_for_org(app, tenant.org_id, recompute_org, later) >= 0
    assert await run_for_org(app, tenant.org_id, remind_org, later) == 1  # its weekly check-in is overdue
    reminders = await tenant.client.get(
        "/api/v1/events", params={"object_id": kr["id"], "type": "key_result.checkin_overdue"}
    )
    assert len(reminders.json()["items"]) == 1
    # Editing it needs dates within the bounds; with them, it is an ordinary cycle again.
    renamed = await tenant.client.patch(f"/api/v1/cycles/{okr.cycle['id']}", json={"name": "Renamed"})
    assert ["body", "end_date"] in locs(renamed)
    fixed = await tenant.client.patch(
        f"/api/v1/cycles/{okr.cycle['id']}", json={"start_date": "2026-01-01", "end_date": "2026-12-31"}
    )
    assert fixed.status_code == 200, fixed.text


async def _read_everything(app: FastAPI, tenant: Tenant, cycle_id: str, objective_id: str, kr_id: str) -> None:
    """Every read that computes from the cycle's dates and the key result's numbers answers 200."""
    team = await create(tenant.client, "/api/v1/teams", {"name": f"T-{uuid.uuid4().hex[:6]}"})
    paths = [
        f"/api/v1/cycles/{cycle_id}",
        f"/api/v1/objectives/{objective_id}",
        f"/api/v1/key-results/{kr_id}",
        f"/api/v1/objectives?cycle_id={cycle_id}",
        f"/api/v1/check-ins?key_result_id={kr_id}",
        f"/api/v1/cycles/{cycle_id}/scoreboard",
        f"/api/v1/cycles/{cycle_id}/health",
        f"/api/v1/cycles/{cycle_id}/ambition",
        f"/api/v1/cycles/{cycle_id}/alignment-map",
        f"/api/v1/cycles/{cycle_id}/coverage",
        f"/api/v1/objectives/{objective_id}/tree",
        f"/api/v1/objectives/{objective_id}/line-of-sight",
        f"/api/v1/teams/{team['id']}/review",
        f"/api/v1/cycles/{cycle_id}/export?format=json",
        f"/api/v1/cycles/{cycle_id}/export?format=csv",
    ]
    for path in paths:
        response = await tenant.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
