"""Carry-over through the API: the seed example's baseline and ambition, start values by accumulation, preview
equal to the result, idempotent retries, alignments re-created, initiatives moved, refusals, bounded statements."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, StatementCounter, Tenant, create

NEW_IDS = ("id", "child_objective_id", "parent_objective_id", "parent_key_result_id", "to_key_result_id")


async def carry(client: httpx.AsyncClient, target: dict[str, Any], body: dict[str, Any], **headers: str) -> Any:
    response = await client.post(f"/api/v1/cycles/{target['id']}/carry-over", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def without_new_ids(value: Any) -> Any:
    """The answer with every id of a new row (null in a preview) and the dry_run flag blanked."""
    if isinstance(value, list):
        return [without_new_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: None if k in (*NEW_IDS, "dry_run") else without_new_ids(v) for k, v in value.items()}
    return value


async def last_year(tenant: Tenant, clock: FixedClock) -> dict[str, Any]:
    """FY2025, closed: 12,000 leads from 0 (cumulative) and ARR grown from 100 to 250 (a level)."""
    clock.set("2025-01-06T09:00:00+00:00")
    fy = await cycle(tenant, "FY2025", "2025-01-01", "2025-12-31")
    demand = await objective(tenant, fy["id"], "Fill the pipeline")
    leads = await key_result(tenant, demand, title="Leads", target_value=10000, unit="leads")
    arr = await key_result(
        tenant,
        demand,
        title="ARR",
        metric="currency",
        unit="kEUR",
        start_value=100,
        target_value=200,
        accumulation="level",
    )
    await check_in_at(tenant, clock, "2025-06-02T10:00:00+00:00", leads, 7000)
    await check_in_at(tenant, clock, "2025-12-01T10:00:00+00:00", leads, 12000, confidence=9)
    await check_in_at(tenant, clock, "2025-12-01T11:00:00+00:00", arr, 250)
    closed = await tenant.client.post(f"/api/v1/cycles/{fy['id']}/close")
    assert closed.status_code == 200, closed.text
    clock.set("2025-12-15T09:00:00+00:00")
    return {"cycle": fy, "objective": demand, "leads": leads, "arr": arr}


async def test_seed_example_previous_value_start_and_ambition(tenant: Tenant, clock: FixedClock) -> None:
    past = await last_year(tenant, clock)
    fy26 = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31", state="planning")
    body = {"objectives": [{"objective_id": past["objective"]["id"]}]}
    preview = await carry(tenant.client, fy26, {**body, "dry_run": True})
    assert preview["dry_run"] is True and preview["objectives"][0]["id"] is None
    result = await carry(tenant.client, fy26, body)
    assert without_new_ids(result) == without_new_ids(preview)  # the preview is what the call did
    assert result["skipped"] == [] and result["source_cycle_id"] == past["cycle"]["id"]
    carried = result["objectives"][0]
    assert carried["created"] is True and carried["carried_from"] == past["objective"]["id"]

    copy = (await tenant.client.get(f"/api/v1/objectives/{carried['id']}")).json()
    assert (copy["carried_from"], copy["cycle_id"], copy["state"]) == (past["objective"]["id"], fy26["id"], "draft")
    assert copy["owner_id"] == past["objective"]["owner_id"]
    leads, arr = sorted(copy["key_results"], key=lambda kr: kr["title"] != "Leads")  # one clock: creation ties
    assert (leads["carried_from"], leads["accumulation"]) == (past["leads"]["id"], "cumulative")
    assert (leads["previous_value"], leads["start_value"], leads["current_value"]) == (12000, 0, 0)
    assert (arr["accumulation"], arr["previous_value"], arr["start_value"]) == ("level", 250, 250)
    assert arr["target_value"] == 350  # 200 no longer lies ahead of 250: moved by as much as the start (+150)

    # The seed: set the target to 18,000 and ambition is 0.5, no baseline typed.
    etag = (await tenant.client.get(f"/api/v1/key-results/{leads['id']}")).headers["etag"]
    patched = await tenant.client.patch(
        f"/api/v1/key-results/{leads['id']}", json={"target_value": 18000}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    report = (await tenant.client.get(f"/api/v1/cycles/{fy26['id']}/ambition")).json()
    by_id = {k["key_result_id"]: k for k in report["key_results"]}
    assert by_id[leads["id"]]["ambition"] == 0.5
    assert by_id[leads["id"]]["flags"] == []
    # A level starts where it ended (250); last year's step ran from its original start: 100 -> 250, 150 kEUR.
    # The moved target (350) is a step of 100: timid. A target of 475 is a 225 step, half as big again: 0.5.
    assert by_id[arr["id"]]["ambition"] == pytest.approx(100 / 150 - 1)
    assert by_id[arr["id"]]["flags"] == ["low_ambition"]
    etag = (await tenant.client.get(f"/api/v1/key-results/{arr['id']}")).headers["etag"]
    patched = await tenant.client.patch(
        f"/api/v1/key-results/{arr['id']}", json={"target_value": 475}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    report = (await tenant.client.get(f"/api/v1/cycles/{fy26['id']}/ambition")).json()
    level = next(k for k in report["key_results"] if k["key_result_id"] == arr["id"])
    assert (level["ambition"], level["flags"]) == (0.5, [])


async def test_carrying_twice_creates_nothing_and_a_keyed_retry_replays(tenant: Tenant, clock: FixedClock) -> None:
    past = await last_year(tenant, clock)
    fy26 = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31", state="planning")
    body = {"source_cycle_id": past["cycle"]["id"], "objectives": "all"}
    first = await carry(tenant.client, fy26, body, **{"Idempotency-Key": "carry-1"})
    replay = await carry(tenant.client, fy26, body, **{"Idempotency-Key": "carry-1"})
    assert replay == first
    again = await carry(tenant.client, fy26, {**body, "dry_run": True})
    assert again["objectives"] == [] and again["alignments"] == []
    reasons = {(s["kind"], s["source_id"]): s["reason"] for s in again["skipped"]}
    assert reasons == {
        ("objective", past["objective"]["id"]): "already_carried",
        ("key_result", past["leads"]["id"]): "already_carried",
        ("key_result", past["arr"]["id"]): "already_carried",
    }
    assert (await carry(tenant.client, fy26, body))["objectives"] == []
    listed = (await tenant.client.get("/api/v1/objectives", params={"cycle_id": fy26["id"]})).json()["items"]
    assert len(listed) == 1 and len(listed[0]["key_results"]) == 2

    events = (await tenant.client.get("/api/v1/events", params={"type": "cycle.carried_over"})).json()["items"]
    assert len(events) == 2  # the two real calls; the replay and the preview wrote nothing
    assert events[0]["object_id"] == fy26["id"] and events[0]["after"]["objectives"] == first["objectives"]
    created = (await tenant.client.get("/api/v1/events", params={"type": "key_result.created"})).json()["items"]
    assert {e["object_id"] for e in created} >= {kr["id"] for kr in first["objectives"][0]["key_results"]}


async def test_key_results_carried_one_at_a_time_join_the_same_copy(tenant: Tenant, clock: FixedClock) -> None:
    past = await last_year(tenant, clock)
    fy26 = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")  # active: copies are active
    pick = {"objective_id": past["objective"]["id"], "key_result_ids": [past["leads"]["id"]]}
    first = await carry(tenant.client, fy26, {"objectives": [pick]})
    assert [kr["title"] for kr in first["objectives"][0]["key_results"]] == ["Leads"]
    pick["key_result_ids"] = [past["leads"]["id"], past["arr"]["id"]]
    second = await carry(tenant.client, fy26, {"objectives": [pick]})
    assert second["objectives"][0]["created"] is False
    assert second["objectives"][0]["id"] == first["objectives"][0]["id"]
    assert [kr["title"] for kr in second["objectives"][0]["key_results"]] == ["ARR"]
    copy = (await tenant.client.get(f"/api/v1/objectives/{first['objectives'][0]['id']}")).json()
    assert copy["state"] == "active" and sorted(kr["title"] for kr in copy["key_results"]) == ["ARR", "Leads"]


async def test_alignments_are_recreated_where_both_ends_are_carried(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2025-10-01T09:00:00+00:00")
    q4 = await cycle(tenant, "Q4", "2025-10-01", "2025-12-31")
    team = await create(tenant.client, "/api/v1/teams", {"name": "Demand gen"})
    company = await objective(tenant, q4["id"], "Grow revenue")
    revenue = await key_result(tenant, company, title="Revenue", target_value=10)
    fields = {"level": "team", "team_id": team["id"]}
    pipeline = await objective(tenant, q4["id"], "Build pipeline", **fields)
    brand = await objective(tenant, q4["id"], "Be known", **fields)
    await key_result(tenant, pipeline, title="Opportunities", target_value=50)
    to_objective = await create(
        tenant.client,
        "/api/v1/alignments",
        {"child_objective_id": pipeline["id"], "parent_objective_id": company["id"]},
    )
    to_kr = await create(
        tenant.client, "/api/v1/alignments", {"child_objective_id": brand["id"], "parent_key_result_id": revenue["id"]}
    )
    q1 = await cycle(tenant, "Q1", "2026-01-01", "2026-03-31", state="planning")

    first = await carry(
        tenant.client, q1, {"objectives": [{"objective_id": company["id"]}, {"objective_id": brand["id"]}]}
    )
    copies = {o["carried_from"]: o for o in first["objectives"]}
    [link] = first["alignments"]
    assert link["carried_from"] == to_kr["id"] and link["child_objective_id"] == copies[brand["id"]]["id"]
    assert link["parent_key_result_id"] == copies[company["id"]]["key_results"][0]["id"]
    skipped = {s["source_id"]: s["reason"] for s in first["skipped"]}
    assert skipped == {to_objective["id"]: "other_end_not_carried"}

    # Later, the child alone: its link to the copy carried earlier is re-created.
    preview = await carry(tenant.client, q1, {"objectives": [{"objective_id": pipeline["id"]}], "dry_run": True})
    assert preview["alignments"][0]["child_objective_id"] is None  # a new objective: no id yet
    assert preview["alignments"][0]["parent_objective_id"] == copies[company["id"]]["id"]
    second = await carry(tenant.client, q1, {"objectives": [{"objective_id": pipeline["id"]}]})
    assert without_new_ids(second) == without_new_ids(preview)
    tree = await tenant.client.get("/api/v1/alignments", params={"parent_objective_id": copies[company["id"]]["id"]})
    assert tree.status_code == 200, tree.text
    children = {a["child_objective_id"] for a in tree.json()["items"]}
    assert children == {second["objectives"][0]["id"]}
    assert second["objectives"][0]["carried_from"] == pipeline["id"]


async def test_unfinished_initiatives_move_to_the_copies(tenant: Tenant, clock: FixedClock) -> None:
    past = await last_year(tenant, clock)
    leads = past["leads"]["id"]
    running = await create(
        tenant.client,
        "/api/v1/initiatives",
        {
            "title": "Webinars",
            "kind": "campaign",
            "planned_budget": "500.00",
            "state": "in_progress",
            "key_results": [{"key_result_id": leads, "share": "0.5"}],
        },
    )
    done = await create(
        tenant.client,
        "/api/v1/initiatives",
        {
            "title": "Launch",
            "kind": "campaign",
            "planned_budget": "100.00",
            "state": "done",
            "key_results": [{"key_result_id": leads}],
        },
    )
    fy26 = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31", state="planning")
    body = {"objectives": [{"objective_id": past["objective"]["id"]}], "include_initiatives": True}
    preview = await carry(tenant.client, fy26, {**body, "dry_run": True})
    result = await carry(tenant.client, fy26, body)
    assert without_new_ids(result) == without_new_ids(preview)
    [moved] = result["initiatives"]
    copy_of_leads = next(kr["id"] for kr in result["objectives"][0]["key_results"] if kr["title"] == "Leads")
    assert moved["initiative_id"] == running["id"]
    assert moved["links"] == [{"from_key_result_id": leads, "to_key_result_id": copy_of_leads}]
    assert {(s["source_id"], s["reason"]) for s in result["skipped"]} == {(done["id"], "finished")}
    webinars = (await tenant.client.get(f"/api/v1/initiatives/{running['id']}")).json()
    assert [(k["key_result_id"], k["share"]) for k in webinars["key_results"]] == [(copy_of_leads, "0.5000")]
    assert webinars["version"] == running["version"] + 1
    [linked] = (await tenant.client.get("/api/v1/events", params={"type": "initiative.linked"})).json()["items"]
    assert linked["object_id"] == running["id"]
    assert [k["key_result_id"] for k in linked["before"]["key_results"]] == [leads]
    assert [k["key_result_id"] for k in linked["after"]["key_results"]] == [copy_of_leads]
    launch = (await tenant.client.get(f"/api/v1/initiatives/{done['id']}")).json()
    assert [k["key_result_id"] for k in launch["key_results"]] == [leads]


async def test_what_is_not_carried_and_why(tenant: Tenant, signup: SignUp, clock: FixedClock) -> None:
    real_time(clock)  # sessions expire by the database's clock: sign up at the real time
    other = await signup("Other org")
    past = await last_year(tenant, clock)
    fy26 = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31", state="planning")
    foreign = await create(
        other.client, "/api/v1/cycles", {"name": "X", "start_date": "2025-01-01", "end_date": "2025-12-31"}
    )
    foreign_objective = await objective(other, foreign["id"], "Theirs")
    elsewhere = await objective(tenant, fy26["id"], "Already here")
    pick = {"objective_id": past["objective"]["id"], "key_result_ids": [past["leads"]["id"], elsewhere["id"]]}
    body = {
        "source_cycle_id": past["cycle"]["id"],
        "objectives": [pick, {"objective_id": foreign_objective["id"]}, {"objective_id": elsewhere["id"]}],
        "dry_run": True,
    }
    preview = await carry(tenant.client, fy26, body)
    reasons = [(s["kind"], s["source_id"], s["reason"]) for s in preview["skipped"]]
    assert reasons == [
        ("objective", foreign_objective["id"], "not_found"),
        ("objective", elsewhere["id"], "not_in_source_cycle"),
        ("key_result", elsewhere["id"], "not_in_objective"),
    ]
    assert [kr["title"] for kr in preview["objectives"][0]["key_results"]] == ["Leads"]

    bad = await tenant.client.post(
        f"/api/v1/cycles/{fy26['id']}/carry-over", json={**body, "source_cycle_id": fy26["id"]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "source_cycle_id"
    assert (
        await tenant.client.post(f"/api/v1/cycles/{fy26['id']}/carry-over", json={"objectives": "all"})
    ).status_code == 422
    assert (
        await tenant.client.post(f"/api/v1/cycles/{fy26['id']}/carry-over", json={"objectives": []})
    ).status_code == 422
    into_closed = await tenant.client.post(
        f"/api/v1/cycles/{past['cycle']['id']}/carry-over", json={**body, "source_cycle_id": None, "dry_run": False}
    )
    assert into_closed.status_code == 422  # the source would be the target itself
    foreign_target = await tenant.client.post(f"/api/v1/cycles/{foreign['id']}/carry-over", json=body)
    assert foreign_target.status_code == 404


async def test_a_closed_target_is_refused_and_previewed_as_such(tenant: Tenant, clock: FixedClock) -> None:
    past = await last_year(tenant, clock)
    fy24 = await cycle(tenant, "FY2024", "2024-01-01", "2024-12-31")
    assert (await tenant.client.post(f"/api/v1/cycles/{fy24['id']}/close")).status_code == 200
    body = {"objectives": [{"objective_id": past["objective"]["id"]}]}
    preview = await carry(tenant.client, fy24, {**body, "dry_run": True})
    assert [s["reason"] for s in preview["skipped"]] == ["target_cycle_closed"] and preview["objectives"] == []
    refused = await tenant.client.post(f"/api/v1/cycles/{fy24['id']}/carry-over", json=body)
    assert refused.status_code == 409, refused.text


async def test_accumulation_is_set_on_create_and_edit(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-01-05T09:00:00+00:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], "Grow")
    kr = await key_result(tenant, goal, title="ARR", target_value=10)
    assert (kr["accumulation"], kr["carried_from"]) == ("cumulative", None)
    path = f"/api/v1/key-results/{kr['id']}"
    etag = (await tenant.client.get(path)).headers["etag"]
    edited = await tenant.client.patch(path, json={"accumulation": "level"}, headers={"If-Match": etag})
    assert edited.status_code == 200 and edited.json()["accumulation"] == "level"
    etag = edited.headers["etag"]
    for bad in ({"accumulation": "sometimes"}, {"accumulation": None}, {"carried_from": kr["id"]}):
        assert (await tenant.client.patch(path, json=bad, headers={"If-Match": etag})).status_code == 422


async def _cycle_of(tenant: Tenant, name: str, objectives: int) -> dict[str, Any]:
    source = await cycle(tenant, name, "2025-01-01", "2025-12-31")
    parent = None
    for i in range(objectives):
        o = await objective(tenant, source["id"], f"{name} objective {i}")
        for j in range(2):
            await key_result(tenant, o, title=f"KR {j}", target_value=10 + j)
        if parent is not None:
            await create(
                tenant.client, "/api/v1/alignments", {"child_objective_id": o["id"], "parent_objective_id": parent}
            )
        parent = parent or o["id"]
    return source


async def test_statements_do_not_grow_with_the_objectives(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2025-06-02T09:00:00+00:00")
    counts = []
    for name, size in (("Small", 5), ("Large", 50)):
        source = await _cycle_of(tenant, name, size)
        target = await cycle(tenant, f"{name} next", "2026-01-01", "2026-12-31", state="planning")
        body = {"source_cycle_id": source["id"], "objectives": "all", "include_initiatives": True}
        with StatementCounter(app) as counter:
            result = await carry(tenant.client, target, body)
        assert len(result["objectives"]) == size and len(result["alignments"]) == size - 1
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_deactivated_owners_and_archived_teams(tenant: Tenant, clock: FixedClock) -> None:
    real_time(clock)  # removing a member asks for a recent sign-in, by the real clock
    sam = await create(tenant.client, "/api/v1/members", {"email": "sam@example.test", "name": "Sam", "role": "member"})
    gone = await create(tenant.client, "/api/v1/teams", {"name": "Gone"})
    source = await cycle(tenant, "FY2025", "2025-01-01", "2025-12-31")
    target = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31", state="planning")
    sams = await objective(tenant, source["id"], "Sam's", owner_id=sam["id"])
    teams = await objective(tenant, source["id"], "The team's", level="team", team_id=gone["id"])
    kept = await objective(tenant, source["id"], "Kept")
    handed = await key_result(tenant, kept, title="Sam's number", owner_id=sam["id"], target_value=5)
    assert (await tenant.client.delete(f"/api/v1/members/{sam['id']}")).status_code == 204
    assert (await tenant.client.delete(f"/api/v1/teams/{gone['id']}")).status_code == 204
    result = await carry(tenant.client, target, {"source_cycle_id": source["id"], "objectives": "all"})
    assert {(s["source_id"], s["reason"]) for s in result["skipped"]} == {
        (sams["id"], "owner_inactive"),
        (teams["id"], "team_archived"),
    }
    [copy] = result["objectives"]
    assert copy["carried_from"] == kept["id"] and copy["key_results"][0]["carried_from"] == handed["id"]
    kr = (await tenant.client.get(f"/api/v1/key-results/{copy['key_results'][0]['id']}")).json()
    assert kr["owner_id"] == tenant.owner_id  # the objective's owner takes over a departed member's key result


async def test_a_link_that_would_close_a_loop_is_not_recreated(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2025-10-01T09:00:00+00:00")
    q4 = await cycle(tenant, "Q4", "2025-10-01", "2025-12-31")
    q1 = await cycle(tenant, "Q1", "2026-01-01", "2026-03-31", state="planning")
    a = await objective(tenant, q4["id"], "A")
    b = await objective(tenant, q4["id"], "B")
    both = {"objectives": [{"objective_id": a["id"]}, {"objective_id": b["id"]}]}
    copies = {o["carried_from"]: o["id"] for o in (await carry(tenant.client, q1, both))["objectives"]}
    # Since then: A under B in Q4, and the other way round between the copies in Q1.
    link = await create(
        tenant.client, "/api/v1/alignments", {"child_objective_id": a["id"], "parent_objective_id": b["id"]}
    )
    await create(
        tenant.client,
        "/api/v1/alignments",
        {"child_objective_id": copies[b["id"]], "parent_objective_id": copies[a["id"]]},
    )
    again = await carry(tenant.client, q1, {**both, "dry_run": True})
    assert (link["id"], "would_close_loop") in {(s["source_id"], s["reason"]) for s in again["skipped"]}
    assert again["alignments"] == []
