"""The single reads answered before the router (okrs/routes/fast_reads.py) keep every layer around them.

tests/okrs/test_fast_reads.py checks what they answer (the full path's body, one round trip, the same refusals);
this module checks that the router is really skipped and that nothing outside it is: the access log, the
metrics, the rate limit, the security headers, and the routes a marker may not cover.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import REGISTRY
from tests.foundation.test_audit_trail import Recorder
from tests.support import Tenant, create, make_client, okr_setup

from sightline.http import middleware
from sightline.http.deps import Reader, require_read
from sightline.http.query import reject_unknown_query_parameters
from sightline.identity.credentials import with_document
from sightline.okrs import reads
from sightline.okrs.routes.fast_reads import entries

KEY_RESULT_ROUTE = "/api/v1/key-results/{key_result_id}"


async def _key_result(tenant: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "start_value": 0, "target_value": 100},
    )
    return okr.cycle, kr


async def test_a_single_read_never_reaches_the_router_but_one_with_a_query_does(app: FastAPI, tenant: Tenant) -> None:
    cycle, kr = await _key_result(tenant)
    solved: list[str] = []

    async def counting() -> None:  # stands in for the app-wide dependency every routed request solves
        solved.append("routed")

    app.dependency_overrides[reject_unknown_query_parameters] = counting
    try:
        for path in (
            f"/api/v1/objectives/{kr['objective_id']}",
            f"/api/v1/key-results/{kr['id']}",
            f"/api/v1/cycles/{cycle['id']}",
        ):
            assert (await tenant.client.get(path)).status_code == 200
            assert (await tenant.client.get(path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}")).status_code == 404
        assert solved == []
        # Anything else goes through the router: a query string, another spelling of the id, the lists.
        with_query = await tenant.client.get(f"/api/v1/cycles/{cycle['id']}?x=1")
        hex_only = await tenant.client.get(f"/api/v1/cycles/{uuid.UUID(cycle['id']).hex}")
        listed = await tenant.client.get("/api/v1/cycles")
    finally:
        app.dependency_overrides.pop(reject_unknown_query_parameters, None)
    assert (with_query.status_code, hex_only.status_code, listed.status_code) == (200, 200, 200)
    assert hex_only.json()["id"] == cycle["id"]
    assert solved == ["routed"] * 3
    # Without the stand-in, the router's check refuses the unknown parameter.
    assert (await tenant.client.get(f"/api/v1/cycles/{cycle['id']}?x=1")).status_code == 422


async def test_the_layers_outside_still_apply(app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    _, kr = await _key_result(tenant)
    path = f"/api/v1/key-results/{kr['id']}"
    log = Recorder()
    monkeypatch.setattr(middleware, "access_log", log)

    def counted() -> float:
        value = REGISTRY.get_sample_value(
            "sightline_http_requests_total", {"method": "GET", "route": KEY_RESULT_ROUTE, "status": "200"}
        )
        return value or 0.0

    before = counted()
    key = await tenant.client.post("/api/v1/api-keys", json={"name": "budget", "scopes": ["read"]})
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"rate_limit_per_minute": 2})
    try:
        async with make_client(app, headers={"Authorization": f"Bearer {key.json()['secret']}"}) as client:
            answers = [await client.get(path) for _ in range(3)]
    finally:
        app.state.settings = saved
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit"] == '"default";r=1;t=60'
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src" in answer.headers["content-security-policy"]
    assert counted() == before + 2
    lines = log.named("request")
    assert [line["route"] for line in lines[-3:-1]] == [KEY_RESULT_ROUTE] * 2
    assert lines[-2]["org_id"] == tenant.org_id and lines[-2]["actor"].startswith("api_key:")
    assert lines[-2]["request_id"] == answers[1].headers["x-request-id"]


def test_a_marked_route_must_be_a_plain_get_by_id_behind_reader() -> None:
    async def extra() -> None:
        pass

    router = APIRouter(prefix="/api/v1")

    @router.get("/cycles/{cycle_id}")
    @with_document(reads.CYCLE)
    async def fine(cycle_id: uuid.UUID, principal: Reader) -> None:
        pass

    assert set(entries(router.routes)) == {"/api/v1/cycles"}
    assert entries(router.routes)["/api/v1/cycles"].read is reads.CYCLE

    for declare in (
        lambda r: r.get("/cycles/{cycle_id}", dependencies=[Depends(extra)]),  # a check the path would skip
        lambda r: r.get("/cycles/{cycle_id}/more"),  # the id is not the last segment
        lambda r: r.post("/cycles/{cycle_id}"),
    ):
        bad = APIRouter(prefix="/api/v1")

        @declare(bad)
        @with_document(reads.CYCLE)
        async def endpoint(cycle_id: uuid.UUID, principal: Reader) -> None:
            pass

        with pytest.raises(RuntimeError, match="with_document route"):
            entries(bad.routes)

    unguarded = APIRouter(prefix="/api/v1")

    @unguarded.get("/cycles/{cycle_id}")
    @with_document(reads.CYCLE)
    async def no_reader(cycle_id: uuid.UUID) -> None:
        pass

    assert require_read not in {d.call for d in unguarded.routes[0].dependant.dependencies}  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        entries(unguarded.routes)
