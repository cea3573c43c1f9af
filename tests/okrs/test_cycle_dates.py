"""Editing a cycle's dates (issue 15, point 8): a change that would leave what the cycle holds outside it — check-ins,
milestone plan points, child cycles, initiatives' dates — is a 422 listing them, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from tests.support import Okr, StatementCounter, Tenant, create, okr_setup


async def _kr(client: httpx.AsyncClient, okr: Okr, **fields: Any) -> dict[str, Any]:
    body = {"objective_id": okr.objective["id"], "title": "Qualified leads", "target_value": 1000, **fields}
    return await create(client, "/api/v1/key-results", body)


async def _check_in(client: httpx.AsyncClient, kr: dict[str, Any], at: str, value: float = 10) -> dict[str, Any]:
    return await create(client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value, "checked_in_at": at})


async def _refused(client: httpx.AsyncClient, cycle: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """PATCH the cycle, insist on the 422 problem, and check that nothing changed."""
    path = f"/api/v1/cycles/{cycle['id']}"
    before = await client.get(path)
    response = await client.patch(path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    after = await client.get(path)
    assert after.json() == before.json() and after.headers["etag"] == before.headers["etag"]
    events = (await client.get("/api/v1/events", params={"object_id": cycle["id"]})).json()["items"]
    assert [e["type"] for e in events] == ["cycle.created"]
    return problem


def _errors(problem: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["loc"][1]: e for e in problem["errors"]}


def _items(problem: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(i["kind"], i["id"], i["date"], i["field"]) for i in problem["outside"]["items"]]


async def test_check_ins_left_outside_are_listed_by_their_day_in_the_organisations_zone(tenant: Tenant) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    kr = await _kr(client, okr)
    march = await _check_in(client, kr, "2026-03-01T10:00:00Z")  # the organisation's zone is Europe/Berlin
    # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin: a cycle starting 1 April still holds it.
    await _check_in(client, kr, "2026-03-31T23:30:00Z")
    # 22:30 UTC on 30 June is 00:30 on 1 July in Berlin: a cycle ending 30 June no longer holds it.
    july = await _check_in(client, kr, "2026-06-30T22:30:00Z")

    problem = await _refused(client, okr.cycle, {"start_date": "2026-04-01", "end_date": "2026-06-30"})
    errors = _errors(problem)
    assert set(errors) == {"start_date", "end_date"}
    assert all(e["type"] == "cycle_dates_exclude" for e in errors.values())
    assert "1 check-in outside the cycle (before 2026-04-01)" in errors["start_date"]["message"]
    assert "1 check-in outside the cycle (after 2026-06-30)" in errors["end_date"]["message"]
    assert problem["outside"]["total"] == 2
    assert _items(problem) == [
        ("check_in", march["id"], "2026-03-01", "start_date"),
        ("check_in", july["id"], "2026-07-01", "end_date"),
    ]
    assert problem["outside"]["items"][0]["title"] == "Qualified leads"

    # Just inside, on the organisation's calendar: accepted.
    moved = await client.patch(f"/api/v1/cycles/{okr.cycle['id']}", json={"start_date": "2026-03-01"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["start_date"] == "2026-03-01"


async def test_a_milestone_plan_point_left_outside_is_refused_not_ignored(tenant: Tenant) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    plan = [{"date": "2026-03-31", "value": 100}, {"date": "2026-11-30", "value": 200}]
    kr = await _kr(client, okr, milestone_plan=plan)
    version = (await client.get(f"/api/v1/key-results/{kr['id']}")).json()["version"]

    problem = await _refused(client, okr.cycle, {"end_date": "2026-09-30"})
    assert _errors(problem)["end_date"]["type"] == "cycle_dates_exclude"
    assert "1 milestone plan point" in _errors(problem)["end_date"]["message"]
    assert _items(problem) == [("milestone_point", kr["id"], "2026-11-30", "end_date")]
    assert problem["outside"]["total"] == 1
    # The plan stays whole, inside the cycle: nothing was written.
    kept = (await client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert kept["milestone_plan"] == plan and kept["version"] == version


async def test_a_child_cycle_left_outside_its_parent_is_refused_both_ways(tenant: Tenant) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    quarter = await create(
        client,
        "/api/v1/cycles",
        {"name": "Q4", "start_date": "2026-10-01", "end_date": "2026-12-31", "parent_id": okr.cycle["id"]},
    )
    problem = await _refused(client, okr.cycle, {"end_date": "2026-11-30"})
    assert _items(problem) == [("child_cycle", quarter["id"], "2026-12-31", "end_date")]
    assert problem["outside"]["items"][0]["title"] == "Q4"
    assert "1 child cycle" in _errors(problem)["end_date"]["message"]

    # The reverse: the child's own dates may not leave its parent; the answer names the date that moved.
    stretched = await client.patch(f"/api/v1/cycles/{quarter['id']}", json={"end_date": "2027-01-31"})
    assert stretched.status_code == 422, stretched.text
    (error,) = stretched.json()["errors"]
    assert error["loc"] == ["body", "end_date"] and error["type"] == "cycle_outside_parent"
    assert (await client.get(f"/api/v1/cycles/{quarter['id']}")).json()["end_date"] == "2026-12-31"


async def test_initiative_dates_left_outside_are_refused_unless_another_of_its_cycles_holds_them(
    tenant: Tenant,
) -> None:
    client = tenant.client
    year = await okr_setup(client, start="2026-01-01", end="2026-12-31")
    kr = await _kr(client, year)
    campaign = await create(
        client,
        "/api/v1/initiatives",
        {
            "title": "Autumn campaign",
            "start_date": "2026-09-01",
            "end_date": "2026-11-30",
            "key_results": [{"key_result_id": kr["id"]}],
        },
    )
    # Not linked to the cycle: its dates are none of the cycle's business.
    await create(client, "/api/v1/initiatives", {"title": "Unlinked", "end_date": "2026-12-15"})

    problem = await _refused(client, year.cycle, {"end_date": "2026-10-31"})
    assert _items(problem) == [("initiative", campaign["id"], "2026-11-30", "end_date")]
    assert problem["outside"]["items"][0]["title"] == "Autumn campaign"
    assert "1 initiative" in _errors(problem)["end_date"]["message"]

    # Linked also to a key result of a cycle that holds 30 November: the initiative runs on there, accepted.
    next_cycle = await okr_setup(client, start="2026-11-01", end="2027-01-31")
    other = await _kr(client, next_cycle)
    links = {"key_results": [{"key_result_id": kr["id"]}, {"key_result_id": other["id"]}]}
    etag = (await client.get(f"/api/v1/initiatives/{campaign['id']}")).headers["etag"]
    relinked = await client.put(
        f"/api/v1/initiatives/{campaign['id']}/key-results", json=links, headers={"If-Match": etag}
    )
    assert relinked.status_code == 200, relinked.text
    moved = await client.patch(f"/api/v1/cycles/{year.cycle['id']}", json={"end_date": "2026-10-31"})
    assert moved.status_code == 200, moved.text


async def test_widening_or_a_shrink_that_leaves_everything_inside_is_accepted(tenant: Tenant) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    kr = await _kr(client, okr, milestone_plan=[{"date": "2026-06-30", "value": 500}])
    await _check_in(client, kr, "2026-05-01T09:00:00+02:00")
    await create(
        client,
        "/api/v1/cycles",
        {"name": "Q2", "start_date": "2026-04-01", "end_date": "2026-06-30", "parent_id": okr.cycle["id"]},
    )
    await create(
        client,
        "/api/v1/initiatives",
        {
            "title": "Spring",
            "start_date": "2026-04-15",
            "end_date": "2026-07-15",
            "key_results": [{"key_result_id": kr["id"]}],
        },
    )
    path = f"/api/v1/cycles/{okr.cycle['id']}"
    wider = await client.patch(path, json={"start_date": "2025-12-01", "end_date": "2027-01-31"})
    assert wider.status_code == 200, wider.text
    narrower = await client.patch(path, json={"start_date": "2026-04-01", "end_date": "2026-07-31"})
    assert narrower.status_code == 200, narrower.text
    assert (narrower.json()["start_date"], narrower.json()["end_date"]) == ("2026-04-01", "2026-07-31")


async def test_the_list_is_bounded_and_the_count_complete_in_a_bounded_number_of_statements(
    app: FastAPI, tenant: Tenant
) -> None:
    client = tenant.client
    okr = await okr_setup(client)
    kr = await _kr(client, okr)
    quarter = await create(
        client,
        "/api/v1/cycles",
        {"name": "Q1", "start_date": "2026-01-01", "end_date": "2026-03-31", "parent_id": okr.cycle["id"]},
    )
    await _check_in(client, kr, "2026-01-05T09:00:00Z")
    path = f"/api/v1/cycles/{okr.cycle['id']}"
    with StatementCounter(app) as few:
        assert (await client.patch(path, json={"start_date": "2026-04-01"})).status_code == 422
    for day in range(6, 31):
        await _check_in(client, kr, f"2026-01-{day:02d}T09:00:00Z")
    with StatementCounter(app) as many:
        assert (await client.patch(path, json={"start_date": "2026-04-01"})).status_code == 422
    assert many.count == few.count  # one statement finds them all, however many
    problem = await _refused(client, okr.cycle, {"start_date": "2026-04-01"})
    assert problem["outside"]["total"] == 27  # the child cycle and 26 check-ins
    items = problem["outside"]["items"]
    assert len(items) == 20
    # The child cycle first, once, with the date the cycle would have to reach to keep it: its start.
    assert (items[0]["kind"], items[0]["id"], items[0]["date"]) == ("child_cycle", quarter["id"], "2026-01-01")
    assert [i["date"] for i in items[1:]] == [f"2026-01-{day:02d}" for day in range(5, 24)]
    assert "1 child cycle, 26 check-ins outside the cycle" in _errors(problem)["start_date"]["message"]
