"""Templates through the API: the built-in marketing library, an organisation's own, creating from one."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from tests.support import SignUp, StatementCounter, Tenant, create, okr_setup

from sightline.planning.library import LIBRARY, builtin_id

CATEGORIES = {
    "demand_generation",
    "pipeline",
    "brand",
    "content",
    "product_marketing",
    "customer_marketing",
    "events",
    "lifecycle_email",
    "paid_acquisition",
    "website_conversion",
    "sales_enablement",
    "partner_marketing",
}
DEMAND = str(builtin_id("demand-generation"))


async def _all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.get("/api/v1/templates", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def _planning_cycle(client: httpx.AsyncClient, name: str = "Q3") -> dict[str, Any]:
    body = {"name": name, "start_date": "2026-07-01", "end_date": "2026-09-30", "state": "planning"}
    return await create(client, "/api/v1/cycles", body)


async def test_the_library_has_every_marketing_category_with_two_to_four_key_results(tenant: Tenant) -> None:
    builtins = await _all(tenant.client, source="builtin", limit=5)  # three pages: the cursor crosses the library
    assert len(builtins) >= 12
    assert {t["category"] for t in builtins} >= CATEGORIES
    assert len({t["id"] for t in builtins}) == len(builtins)
    for template in builtins:
        assert template["source"] == "builtin" and template["created_at"] is None, template["slug"]
        assert 2 <= len(template["key_results"]) <= 4, template["slug"]
        for kr in template["key_results"]:
            assert kr["metric"] in ("number", "percent", "currency", "milestone")
            assert kr["direction"] in ("increase", "decrease", "at_least", "at_most")
            # Money is in the organisation's currency (no unit of its own); everything else names its unit.
            assert bool(kr["unit"]) == (kr["metric"] != "currency"), kr["title"]
            assert kr["target_hint"] and len(kr["how_to_measure"]) > 40, kr["title"]
    # Stable ids: derived from the slug, the same in every organisation and release.
    assert DEMAND == "e7f21c7b-66d5-5edb-b30f-a0b624d8c1d0"
    one = await tenant.client.get(f"/api/v1/templates/{DEMAND}")
    assert one.status_code == 200 and one.json()["slug"] == "demand-generation"
    pipeline = await _all(tenant.client, category="pipeline")
    assert [t["slug"] for t in pipeline] == ["pipeline"]


async def test_applying_a_builtin_creates_exactly_its_key_results_in_one_request(tenant: Tenant) -> None:
    cycle = await _planning_cycle(tenant.client)
    library = next(t for t in LIBRARY if t.slug == "website-conversion")
    response = await tenant.client.post(
        f"/api/v1/templates/{library.id}/apply",
        json={"cycle_id": cycle["id"], "level": "company", "targets": {"1": 600}, "starts": {"0": 1.5}},
    )
    assert response.status_code == 201, response.text
    objective = response.json()
    assert objective["title"] == library.title and objective["cycle_id"] == cycle["id"]
    got = [
        (
            kr["title"],
            kr["metric"],
            kr["unit"],
            kr["direction"],
            kr["start_value"],
            kr["target_value"],
            kr["accumulation"],
        )
        for kr in objective["key_results"]
    ]
    expected = [
        (kr.title, kr.metric.value, kr.unit, kr.direction.value, kr.start_value, kr.target_value, kr.accumulation)
        for kr in library.key_results
    ]
    expected[0] = (*expected[0][:4], 1.5, *expected[0][5:])  # the start given
    expected[1] = (*expected[1][:5], 600.0, expected[1][6])  # the target given
    assert sorted(got) == sorted(expected)
    assert {kr["owner_id"] for kr in objective["key_results"]} == {tenant.owner_id}
    listed = await tenant.client.get("/api/v1/key-results", params={"objective_id": objective["id"]})
    assert len(listed.json()["items"]) == len(library.key_results)
    events = await tenant.client.get("/api/v1/events", params={"object_id": objective["id"]})
    assert [e["type"] for e in events.json()["items"]][:1] == ["objective.created"]
    created = await tenant.client.get("/api/v1/events", params={"type": "key_result.created"})
    assert len(created.json()["items"]) == len(library.key_results)


async def test_a_refused_apply_writes_nothing(tenant: Tenant) -> None:
    cycle = await _planning_cycle(tenant.client)
    apply = f"/api/v1/templates/{DEMAND}/apply"
    # Key result 2 is a decrease from 180: a target above it is refused after the objective was written.
    bad_target = await tenant.client.post(
        apply, json={"cycle_id": cycle["id"], "level": "company", "targets": {"2": 500}}
    )
    assert bad_target.status_code == 422, bad_target.text
    assert bad_target.json()["errors"][0]["loc"] == ["body", "targets", "2"]
    beyond = await tenant.client.post(apply, json={"cycle_id": cycle["id"], "level": "company", "targets": {"7": 1}})
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["loc"] == ["body", "targets", "7"]
    no_team = await tenant.client.post(apply, json={"cycle_id": cycle["id"], "level": "team"})
    assert no_team.status_code == 422
    missing_cycle = await tenant.client.post(apply, json={"cycle_id": DEMAND, "level": "company"})
    assert missing_cycle.status_code == 404
    missing = await tenant.client.post(
        f"/api/v1/templates/{cycle['id']}/apply", json={"cycle_id": cycle["id"], "level": "company"}
    )
    assert missing.status_code == 404
    listed = await tenant.client.get("/api/v1/objectives", params={"cycle_id": cycle["id"]})
    assert listed.json()["items"] == []
    assert (await tenant.client.get("/api/v1/events", params={"type": "key_result.created"})).json()["items"] == []


async def test_apply_is_idempotent_and_aligns_under_a_parent(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client, start="2026-07-01", end="2026-09-30")
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    body = {
        "cycle_id": okr.cycle["id"],
        "level": "team",
        "team_id": team["id"],
        "parent_objective_id": okr.objective["id"],
        "state": "draft",
    }
    headers = {"Idempotency-Key": "apply-pipeline-once"}
    path = f"/api/v1/templates/{builtin_id('pipeline')}/apply"
    first = await tenant.client.post(path, json=body, headers=headers)
    again = await tenant.client.post(path, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["state"] == "draft" and first.json()["team_id"] == team["id"]
    links = await tenant.client.get("/api/v1/alignments", params={"child_objective_id": first.json()["id"]})
    assert [link["parent_objective_id"] for link in links.json()["items"]] == [okr.objective["id"]]
    listed = await tenant.client.get("/api/v1/objectives", params={"cycle_id": okr.cycle["id"], "level": "team"})
    assert len(listed.json()["items"]) == 1


async def test_an_objective_saved_as_a_template_is_applied_in_another_cycle(tenant: Tenant) -> None:
    last = await okr_setup(tenant.client, start="2026-04-01", end="2026-06-30", name="Q2 2026")
    objective = last.objective
    leads = {"objective_id": objective["id"], "title": "Leads", "unit": "leads", "target_value": 12000}
    await create(tenant.client, "/api/v1/key-results", leads)
    cac = {
        "objective_id": objective["id"],
        "title": "CAC",
        "metric": "currency",
        "unit": "EUR",
        "direction": "decrease",
        "start_value": 900,
        "target_value": 700,
        "stretch_value": 600,
        "accumulation": "level",
    }
    await create(tenant.client, "/api/v1/key-results", cac)
    saved = await create(
        tenant.client, "/api/v1/templates", {"objective_id": objective["id"], "category": "demand_generation"}
    )
    assert saved["source"] == "organisation" and saved["source_objective_id"] == objective["id"]
    assert saved["title"] == "Grow demand" and saved["created_by"] == tenant.owner_id
    assert [kr["title"] for kr in saved["key_results"]] == ["Leads", "CAC"]
    assert saved["key_results"][0]["target_hint"] == "Q2 2026: target 12000, reached 0."
    assert (await tenant.client.get(f"/api/v1/templates/{saved['id']}")).json() == saved
    own = await _all(tenant.client, source="organisation")
    assert [t["id"] for t in own] == [saved["id"]]
    everything = await _all(tenant.client)
    assert everything[-1]["id"] == saved["id"] and len(everything) == len(LIBRARY) + 1  # built-ins first

    next_cycle = await _planning_cycle(tenant.client, "Q3 2026")
    applied = await tenant.client.post(
        f"/api/v1/templates/{saved['id']}/apply",
        json={"cycle_id": next_cycle["id"], "level": "company", "targets": {"0": 18000}},
    )
    assert applied.status_code == 201, applied.text
    krs = {kr["title"]: kr for kr in applied.json()["key_results"]}
    assert (krs["Leads"]["target_value"], krs["Leads"]["unit"], krs["Leads"]["metric"]) == (18000, "leads", "number")
    assert (krs["CAC"]["direction"], krs["CAC"]["start_value"], krs["CAC"]["target_value"]) == ("decrease", 900, 700)
    assert krs["CAC"]["stretch_value"] == 600 and krs["CAC"]["unit"] == "EUR" and krs["CAC"]["accumulation"] == "level"


async def test_a_template_described_in_the_body_and_deleting_own(app: FastAPI, tenant: Tenant) -> None:
    body = {
        "title": "Win the partner channel",
        "category": "partner_marketing",
        "key_results": [
            {"title": "Partner pipeline", "metric": "currency", "unit": "USD", "target_value": 500000},
            {"title": "Co-marketing partners", "start_value": 2, "target_value": 6, "accumulation": "level"},
        ],
    }
    saved = await create(tenant.client, "/api/v1/templates", body)
    assert saved["key_results"][1]["accumulation"] == "level"
    neither = await tenant.client.post("/api/v1/templates", json={"category": "brand"})
    assert neither.status_code == 422
    both = await tenant.client.post("/api/v1/templates", json={**body, "objective_id": DEMAND})
    assert both.status_code == 422
    writer, _ = await tenant.member_client(app, "member")
    viewer, _ = await tenant.member_client(app, "viewer")
    assert (await viewer.post("/api/v1/templates", json=body)).status_code == 403
    assert len(await _all(viewer, source="organisation")) == 1  # viewers read them
    theirs = await create(writer, "/api/v1/templates", {**body, "title": "Writer's own"})
    assert (await writer.delete(f"/api/v1/templates/{saved['id']}")).status_code == 403
    assert (await writer.delete(f"/api/v1/templates/{DEMAND}")).status_code == 403
    assert (await writer.delete(f"/api/v1/templates/{theirs['id']}")).status_code == 204
    assert (await tenant.client.delete(f"/api/v1/templates/{saved['id']}")).status_code == 204  # the owner: admin
    assert (await tenant.client.get(f"/api/v1/templates/{saved['id']}")).status_code == 404
    assert await _all(tenant.client, source="organisation") == []
    types = [
        e["type"] for e in (await tenant.client.get("/api/v1/events", params={"type": "template.*"})).json()["items"]
    ]
    assert sorted(types) == ["template.created"] * 2 + ["template.deleted"] * 2


async def test_another_organisations_template_is_not_found(signup: SignUp) -> None:
    a = await signup("Alpha")
    b = await signup("Beta")
    body = {"title": "Alpha secret plan", "key_results": [{"title": "Alpha KR", "target_value": 3}]}
    saved = await create(a.client, "/api/v1/templates", body)
    cycle_b = await _planning_cycle(b.client)
    assert (await b.client.get(f"/api/v1/templates/{saved['id']}")).status_code == 404
    assert (await b.client.delete(f"/api/v1/templates/{saved['id']}")).status_code == 404
    applied = await b.client.post(
        f"/api/v1/templates/{saved['id']}/apply", json={"cycle_id": cycle_b["id"], "level": "company"}
    )
    assert applied.status_code == 404
    assert "Alpha" not in (await b.client.get("/api/v1/templates", params={"limit": 200})).text
    okr_a = await okr_setup(a.client)
    from_a = await b.client.post("/api/v1/templates", json={"objective_id": okr_a.objective["id"]})
    assert from_a.status_code == 404
    into_a = await b.client.post(
        f"/api/v1/templates/{DEMAND}/apply", json={"cycle_id": okr_a.cycle["id"], "level": "company"}
    )
    assert into_a.status_code == 404


async def test_listing_templates_takes_a_fixed_number_of_statements(app: FastAPI, tenant: Tenant) -> None:
    body = {"title": "Plan", "key_results": [{"title": "KR", "target_value": 3}]}

    async def count() -> int:
        with StatementCounter(app) as counter:
            response = await tenant.client.get("/api/v1/templates", params={"limit": 200})
        assert response.status_code == 200
        return counter.count

    await create(tenant.client, "/api/v1/templates", body)
    few = await count()
    for index in range(15):
        await create(tenant.client, "/api/v1/templates", {**body, "title": f"Plan {index}"})
    assert await count() == few
    builtins_only = await tenant.client.get("/api/v1/templates", params={"limit": 3, "source": "builtin"})
    assert len(builtins_only.json()["items"]) == 3 and builtins_only.json()["next_cursor"]
