"""Query strings: a parameter a read operation does not declare is a 422 naming it (a misspelt filter must not
return unfiltered data); objectives filter by status; `since` takes only ISO dates and date-times."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective
from tests.support import FixedClock, Tenant, create

# Lists that need a filter to name what they list (any value of the right shape will do: 404 is an answer).
REQUIRED_QUERY: dict[str, dict[str, str]] = {
    "/api/v1/comments": {"target_type": "objective", "target_id": "00000000-0000-4000-8000-000000000000"},
}


def _get_list_paths(app: FastAPI) -> list[str]:
    """Every GET operation of the API without path parameters (the lists, and the reads of one's own things)."""
    paths: list[str] = []
    schema_paths = app.openapi()["paths"]
    for path, item in schema_paths.items():
        if path.startswith("/api/v1") and "get" in item and "{" not in path and not path.startswith("/api/v1/auth/sso"):
            paths.append(path)
    return paths


async def test_a_misspelt_filter_is_a_422_naming_it(tenant: Tenant) -> None:
    response = await tenant.client.get("/api/v1/key-results", params={"stauts": "at_risk"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"] == [
        {
            "loc": ["query", "stauts"],
            "type": "extra_forbidden",
            "message": body["errors"][0]["message"],
        }
    ]
    assert "status" in body["errors"][0]["message"]  # the parameters it does accept are listed
    assert "stauts" in body["detail"]


async def test_every_list_operation_refuses_unknown_parameters(app: FastAPI, tenant: Tenant) -> None:
    paths = _get_list_paths(app)
    assert {"/api/v1/objectives", "/api/v1/members", "/api/v1/api-keys", "/api/v1/events"} <= set(paths)
    for path in paths:
        required = REQUIRED_QUERY.get(path, {})
        ok = await tenant.client.get(path, params=required)
        assert ok.status_code in (200, 404), f"{path}: {ok.text}"  # 404: no single sign-on configured
        refused = await tenant.client.get(path, params={**required, "no_such_filter": "1"})
        assert refused.status_code == 422, f"{path}: {refused.status_code} {refused.text}"
        assert [e["loc"] for e in refused.json()["errors"]] == [["query", "no_such_filter"]], path


async def test_operations_with_path_parameters_refuse_them_too(tenant: Tenant) -> None:
    q = await cycle(tenant, "Q3", "2026-07-01", "2026-09-30")
    assert (await tenant.client.get(f"/api/v1/cycles/{q['id']}/scoreboard", params={"team": "x"})).status_code == 422
    assert (await tenant.client.get(f"/api/v1/cycles/{q['id']}", params={"expand": "all"})).status_code == 422
    # Declared ones (and repeated ones) are fine.
    assert (
        await tenant.client.get(f"/api/v1/cycles/{q['id']}/scoreboard", params={"level": "company"})
    ).status_code == 200
    assert (await tenant.client.get("/api/v1/cycles", params=[("limit", "2"), ("limit", "3")])).status_code == 200


async def test_sso_callback_keeps_parameters_the_provider_adds(anon: Any) -> None:
    # The identity provider's redirect carries its own parameters (iss, session_state): not refused for them.
    response = await anon.get("/api/v1/auth/sso/callback", params={"state": "x", "code": "y", "session_state": "z"})
    assert response.status_code != 422, response.text


async def _objective_with_status(
    tenant: Tenant, clock: FixedClock, cycle_id: str, title: str, value: float
) -> dict[str, Any]:
    made = await objective(tenant, cycle_id, title)
    kr = await key_result(
        tenant,
        made,
        title=f"{title} KR",
        metric="number",
        direction="increase",
        start_value=0,
        target_value=100,
        cadence="weekly",
    )
    await check_in_at(tenant, clock, "2026-05-15T10:00:00+02:00", kr, value, confidence=8)
    return made


async def test_objectives_filter_by_status_across_pages(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-04-01T09:00:00+02:00")
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    behind = [await _objective_with_status(tenant, clock, q2["id"], f"Behind {i}", 5) for i in range(3)]
    ahead = [await _objective_with_status(tenant, clock, q2["id"], f"Ahead {i}", 60) for i in range(2)]
    clock.set("2026-05-16T09:00:00+02:00")

    everything = (await tenant.client.get("/api/v1/objectives", params={"cycle_id": q2["id"]})).json()["items"]
    statuses = {o["title"]: o["status"] for o in everything}
    assert {statuses[o["title"]] for o in behind} == {"off_track"}
    assert {statuses[o["title"]] for o in ahead} == {"on_track"}

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"status": "off_track", "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = await tenant.client.get("/api/v1/objectives", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 1
        seen += [o["id"] for o in body["items"]]
        assert all(o["status"] == "off_track" for o in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == {o["id"] for o in behind}
    on_track = (await tenant.client.get("/api/v1/objectives", params={"status": "on_track"})).json()["items"]
    assert {o["id"] for o in on_track} == {o["id"] for o in ahead}
    assert (await tenant.client.get("/api/v1/objectives", params={"status": "late"})).status_code == 422


@pytest.mark.parametrize("since", ["0.5", "1700000000", "1e9", "yesterday", "2026-13-01"])
async def test_since_takes_only_iso_dates_and_times(tenant: Tenant, since: str) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    response = await tenant.client.get(f"/api/v1/teams/{team['id']}/review", params={"since": since})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "since"]


@pytest.mark.parametrize("since", ["2026-05-01T09:00:00Z", "2026-05-01T09:00:00+02:00"])
async def test_since_accepts_iso_forms(tenant: Tenant, since: str) -> None:
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    response = await tenant.client.get(f"/api/v1/teams/{team['id']}/review", params={"since": since})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("expires_at", [1900000000, "1900000000", 0.5])
async def test_an_api_key_expiry_is_an_iso_date_time_not_a_unix_time(tenant: Tenant, expires_at: object) -> None:
    response = await tenant.client.post(
        "/api/v1/api-keys", json={"name": "t", "scopes": ["read"], "expires_at": expires_at}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][:2] == ["body", "expires_at"]
