"""Issue 15, point 16: line of sight says where a chain stops short of the company and why."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import Tenant, create, okr_setup

from sightline.alignment.schemas import LineOfSight


async def _objective(tenant: Tenant, cycle: dict[str, Any], title: str, level: str, **fields: Any) -> dict[str, Any]:
    body = {"cycle_id": cycle["id"], "title": title, "level": level, **fields}
    return await create(tenant.client, "/api/v1/objectives", body)


async def _sight(tenant: Tenant, objective: dict[str, Any]) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v1/objectives/{objective['id']}/line-of-sight")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    # Built as plain JSON by the service (never validated on the way out): it must be exactly the contract's shape.
    assert LineOfSight.model_validate(result).model_dump(mode="json") == result
    return result


def _ref(objective: dict[str, Any]) -> dict[str, Any]:
    return {"id": objective["id"], "title": objective["title"], "level": objective["level"]}


async def test_line_of_sight_names_where_and_why_a_chain_stops(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)  # its objective is company-level: "Grow demand"
    company = okr.objective
    team = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    marketing = await _objective(tenant, okr.cycle, "Marketing drives demand", "team", team_id=team["id"])
    campaign = await _objective(tenant, okr.cycle, "Campaigns convert", "team", team_id=team["id"])
    lonely = await _objective(tenant, okr.cycle, "Nobody's child", "team", team_id=team["id"])

    # Aligned to nothing: no paths, and the answer says so instead of an empty list alone.
    sight = await _sight(tenant, lonely)
    assert sight["paths"] == []
    assert sight["reaches_company"] is False
    assert sight["stops"] == [{"stops_at": _ref(lonely), "reason": "not_aligned"}]

    # A company objective is the top: nothing stops.
    top = await _sight(tenant, company)
    assert (top["paths"], top["reaches_company"], top["stops"]) == ([], True, [])

    # campaign → marketing, and marketing aligned to nothing: the chain stops at marketing.
    link = {"child_objective_id": campaign["id"], "parent_objective_id": marketing["id"]}
    await create(tenant.client, "/api/v1/alignments", link)
    sight = await _sight(tenant, campaign)
    assert len(sight["paths"]) == 1
    path = sight["paths"][0]
    assert (path["reaches_company"], path["stops_at"], path["stop_reason"]) == (False, _ref(marketing), "not_aligned")
    assert sight["stops"] == [{"stops_at": _ref(marketing), "reason": "not_aligned"}]

    # marketing → company: the chain reaches it, nothing stops.
    await create(
        tenant.client,
        "/api/v1/alignments",
        {"child_objective_id": marketing["id"], "parent_objective_id": company["id"]},
    )
    sight = await _sight(tenant, campaign)
    path = sight["paths"][0]
    assert (path["reaches_company"], path["stops_at"], path["stop_reason"]) == (True, None, None)
    assert (sight["reaches_company"], sight["stops"]) == (True, [])

    # The company objective is archived: the chain now stops below it, at marketing.
    etag = (await tenant.client.get(f"/api/v1/objectives/{company['id']}")).headers["ETag"]
    archived = await tenant.client.delete(f"/api/v1/objectives/{company['id']}", headers={"If-Match": etag})
    assert archived.status_code == 204, archived.text
    sight = await _sight(tenant, campaign)
    path = sight["paths"][0]
    assert [hop["parent"]["title"] for hop in path["hops"]] == ["Marketing drives demand", "Grow demand"]
    assert (path["reaches_company"], path["stops_at"], path["stop_reason"]) == (
        False,
        _ref(marketing),
        "aligned_to_archived_objective",
    )
    assert sight["reaches_company"] is False
    assert sight["stops"] == [{"stops_at": _ref(marketing), "reason": "aligned_to_archived_objective"}]


async def test_a_chain_through_an_archived_key_result_stops_below_it(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 10},
    )
    team = await create(tenant.client, "/api/v1/teams", {"name": "Sales"})
    child = await _objective(tenant, okr.cycle, "Sales follows up", "team", team_id=team["id"])
    await create(
        tenant.client,
        "/api/v1/alignments",
        {"child_objective_id": child["id"], "parent_key_result_id": kr["id"], "kind": "contributes", "weight": 0.5},
    )
    assert (await _sight(tenant, child))["reaches_company"] is True
    etag = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).headers["ETag"]
    assert (
        await tenant.client.delete(f"/api/v1/key-results/{kr['id']}", headers={"If-Match": etag})
    ).status_code == 204
    sight = await _sight(tenant, child)
    assert sight["reaches_company"] is False
    assert sight["stops"] == [{"stops_at": _ref(child), "reason": "aligned_to_archived_key_result"}]


async def test_the_line_of_sight_of_an_unknown_objective_is_a_404_problem(tenant: Tenant) -> None:
    response = await tenant.client.get(f"/api/v1/objectives/{uuid.uuid4()}/line-of-sight")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
