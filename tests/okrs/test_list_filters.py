"""GET /objectives filters: each filter alone, filters together, archived objectives only when asked for, and
pages that keep the filter (the page is read on the driver with one statement text per set of filters)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from tests.support import Tenant, create, okr_setup


async def _ids(tenant: Tenant, **params: Any) -> set[str]:
    response = await tenant.client.get("/api/v1/objectives", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return {o["id"] for o in response.json()["items"]}


async def test_each_filter_alone_and_together(app: FastAPI, tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)  # one company objective in its cycle
    other = await okr_setup(tenant.client, start="2027-01-01", end="2027-12-31", name="FY2027")
    _, max_id = await tenant.member_client(app, "member")
    growth = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    brand = await create(tenant.client, "/api/v1/teams", {"name": "Brand"})
    cycle = okr.cycle["id"]

    async def objective(title: str, **fields: Any) -> str:
        body = {"cycle_id": cycle, "title": title, "level": "company", **fields}
        return str((await create(tenant.client, "/api/v1/objectives", body))["id"])

    pipeline = await objective("Pipeline", level="team", team_id=growth["id"], owner_id=max_id)
    awareness = await objective("Awareness", level="team", team_id=brand["id"], kind="aspirational")
    mine = await objective("My deals", level="individual", team_id=growth["id"], owner_id=max_id)
    gone = await objective("Old idea", level="team", team_id=growth["id"])
    assert (await tenant.client.delete(f"/api/v1/objectives/{gone}", headers={"If-Match": '"1"'})).status_code == 204
    company = okr.objective["id"]

    assert await _ids(tenant, cycle_id=cycle) == {company, pipeline, awareness, mine}
    assert await _ids(tenant, cycle_id=other.cycle["id"]) == {other.objective["id"]}
    assert await _ids(tenant, cycle_id=cycle, team_id=growth["id"]) == {pipeline, mine}
    assert await _ids(tenant, owner_id=max_id) == {pipeline, mine}
    assert await _ids(tenant, cycle_id=cycle, level="team") == {pipeline, awareness}
    assert await _ids(tenant, kind="aspirational") == {awareness}
    assert await _ids(tenant, cycle_id=cycle, state="archived") == {gone}
    assert await _ids(tenant, team_id=growth["id"], owner_id=max_id, level="individual") == {mine}
    assert await _ids(tenant, team_id=brand["id"], owner_id=max_id) == set()


async def test_pages_keep_the_filter(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    body = {"cycle_id": okr.cycle["id"], "level": "team", "team_id": team["id"]}
    made = [(await create(tenant.client, "/api/v1/objectives", {**body, "title": f"T{i}"}))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"team_id": team["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await tenant.client.get("/api/v1/objectives", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made  # creation order, each once, none of the company objective
