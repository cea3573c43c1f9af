"""Issue 15, point 14: a malformed body answers 422 even when If-Match is stale or missing; 412 only for a valid one."""

from __future__ import annotations

from typing import Any

from tests.support import Tenant, create, okr_setup

STALE = '"999"'


async def _order(
    tenant: Tenant, path: str, bad: dict[str, Any], good: dict[str, Any], *, method: str = "PATCH"
) -> None:
    """The bad body is a 422 with a stale or no If-Match; the good one a 412 when stale, then applies."""
    client = tenant.client
    for headers in ({"If-Match": STALE}, {}):
        response = await client.request(method, path, json=bad, headers=headers)
        assert response.status_code == 422, (path, headers, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"], response.text
    stale = await client.request(method, path, json=good, headers={"If-Match": STALE})
    assert stale.status_code == 412, (path, stale.text)
    missing = await client.request(method, path, json=good)
    assert missing.status_code == 428, (path, missing.text)
    etag = (await client.get(path.removesuffix("/key-results"))).headers["ETag"]
    applied = await client.request(method, path, json=good, headers={"If-Match": etag})
    assert applied.status_code == 200, (path, applied.text)


async def test_objectives(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    path = f"/api/v1/objectives/{okr.objective['id']}"
    await _order(tenant, path, {"title": None}, {"title": "Grow demand faster"})
    await _order(tenant, path, {"level": "team"}, {"description": "Why"})  # a team objective needs a team


async def test_key_results(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )
    path = f"/api/v1/key-results/{kr['id']}"
    await _order(tenant, path, {"target_value": -5}, {"target_value": 120})  # increase: target above start
    await _order(tenant, path, {"weight": None}, {"title": "Qualified leads"})


async def test_initiatives(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )
    initiative = await create(
        tenant.client, "/api/v1/initiatives", {"title": "Campaign", "kind": "campaign", "planned_budget": "100.00"}
    )
    path = f"/api/v1/initiatives/{initiative['id']}"
    await _order(tenant, path, {"title": None}, {"title": "Spring campaign"})
    await _order(
        tenant,
        f"{path}/key-results",
        {"key_results": [{"key_result_id": kr["id"]}, {"key_result_id": kr["id"]}]},  # listed twice
        {"key_results": [{"key_result_id": kr["id"]}]},
        method="PUT",
    )


async def test_organisation(tenant: Tenant) -> None:
    await _order(
        tenant,
        "/api/v1/organisation",
        {"settings": {"on_track_gap": 0.3, "at_risk_gap": 0.2}},
        {"name": "Acme Renamed"},
    )
