"""The headers the service sends are the ones the contract declares, request by request.

Every response of a real scenario is checked against its operation in the generated contract: `ETag` and
`Location` are sent exactly when declared, `Idempotent-Replayed` and `Retry-After` only where declared; and
If-Match is refused with 428 exactly on the operations the contract marks it required.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.support import Tenant, create, make_client

CHECKED = ("ETag", "Location", "Idempotent-Replayed", "Retry-After")


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.templates = [
            (re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in document["paths"]
        ]
        self.checked = 0

    def operation(self, method: str, url: str) -> tuple[str, dict[str, Any]]:
        path = httpx.URL(url).path
        matches = [template for pattern, template in self.templates if pattern.match(path)]
        # The most literal template wins (`/export/csv` over `/{id}`), as the router orders them.
        template = max(matches, key=lambda t: len(re.sub(r"\{[a-z_]+\}", "", t)))
        return template, self.document["paths"][template][method.lower()]

    def check(self, response: httpx.Response) -> httpx.Response:
        request = response.request
        template, operation = self.operation(request.method, str(request.url))
        where = f"{request.method} {template} → {response.status_code}"
        declared_response = operation["responses"].get(str(response.status_code))
        assert declared_response is not None, f"{where}: status not in the contract"
        declared = set(declared_response.get("headers", {}))
        sent = {name for name in CHECKED if name.lower() in response.headers}
        assert sent <= declared, f"{where}: sends {sent - declared} undeclared"
        for always in ("ETag", "Location", "Retry-After"):
            if always in declared:
                assert always in sent, f"{where}: declares {always} but does not send it"
        self.checked += 1
        return response


@pytest.fixture
def contract(app: FastAPI) -> Contract:
    checker = Contract(app.openapi())
    return checker


async def test_headers_sent_match_the_contract(app: FastAPI, tenant: Tenant, contract: Contract) -> None:
    client = tenant.client
    check = contract.check
    cycle = check(
        await client.post("/api/v1/cycles", json={"name": "FY", "start_date": "2026-01-01", "end_date": "2026-12-31"})
    )
    assert cycle.headers["Location"] == f"/api/v1/cycles/{cycle.json()['id']}"
    cycle_id = cycle.json()["id"]
    check(await client.get(cycle.headers["Location"]))
    team = check(await client.post("/api/v1/teams", json={"name": "Growth"}))
    body = {"cycle_id": cycle_id, "title": "Grow", "level": "company"}
    keyed = {"Idempotency-Key": "contract-objective-1"}
    objective = check(await client.post("/api/v1/objectives", json=body, headers=keyed))
    replay = check(await client.post("/api/v1/objectives", json=body, headers=keyed))
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == objective.headers["Location"]
    objective_id = objective.json()["id"]
    kr = check(
        await client.post(
            "/api/v1/key-results", json={"objective_id": objective_id, "title": "Leads", "target_value": 100}
        )
    )
    kr_id = kr.json()["id"]
    check(await client.post("/api/v1/check-ins", json={"key_result_id": kr_id, "value": 10, "confidence": 7}))
    assert replay.headers["Location"] == objective.headers["Location"], (replay.status_code, dict(replay.headers))
    check(
        await client.post(
            "/api/v1/check-ins:batch", json={"items": [{"key_result_id": kr_id, "value": 12, "confidence": 7}]}
        )
    )
    initiative = check(
        await client.post(
            "/api/v1/initiatives",
            json={"title": "Campaign", "planned_budget": "1000.00", "key_results": [{"key_result_id": kr_id}]},
        )
    )
    initiative_id = initiative.json()["id"]
    check(await client.post(f"/api/v1/initiatives/{initiative_id}/spend", json={"amount": "10.50"}))
    for url in (
        "/api/v1/organisation",
        "/api/v1/objectives",
        f"/api/v1/objectives/{objective_id}",
        f"/api/v1/key-results/{kr_id}",
        f"/api/v1/initiatives/{initiative_id}",
        f"/api/v1/teams/{team.json()['id']}",
        f"/api/v1/cycles/{cycle_id}/scoreboard",
        f"/api/v1/cycles/{cycle_id}/export/csv",
        f"/api/v1/cycles/{cycle_id}/export/json",
        f"/api/v1/members/{tenant.owner_id}",
    ):
        check(await client.get(url))
    assert contract.checked >= 20


async def test_if_match_is_refused_with_428_exactly_where_the_contract_requires_it(
    app: FastAPI, tenant: Tenant, contract: Contract
) -> None:
    client = tenant.client
    cycle = await create(client, "/api/v1/cycles", {"name": "FY", "start_date": "2026-01-01", "end_date": "2026-12-31"})
    objective = await create(
        client, "/api/v1/objectives", {"cycle_id": cycle["id"], "title": "Grow", "level": "company"}
    )
    kr = await create(client, "/api/v1/key-results", {"objective_id": objective["id"], "title": "L", "target_value": 9})
    team = await create(client, "/api/v1/teams", {"name": "Growth"})
    initiative = await create(client, "/api/v1/initiatives", {"title": "Campaign"})
    ids = {
        "cycle_id": cycle["id"],
        "objective_id": objective["id"],
        "key_result_id": kr["id"],
        "team_id": team["id"],
        "initiative_id": initiative["id"],
        "member_id": tenant.owner_id,
    }
    bodies = {"put": {"key_results": []}, "patch": {}}
    tried = 0
    # Deletes last: a deleted cycle or objective would turn the other requests into 404s.
    for method in ("put", "patch", "delete"):
        for path, item in contract.document["paths"].items():
            operation = item.get(method)
            if operation is None or not any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
                continue
            names = re.findall(r"\{([a-z_]+)\}", path)
            if any(name not in ids for name in names):
                continue
            url = path.format(**ids)
            required = next(p["required"] for p in operation["parameters"] if p["name"] == "If-Match")
            response = await client.request(method.upper(), url, json=bodies.get(method))
            contract.check(response)
            assert (response.status_code == 428) == required, f"{method.upper()} {path}: {response.status_code}"
            tried += 1
    assert tried >= 12


async def test_retry_after_is_declared_on_the_429_the_service_sends(
    app: FastAPI, tenant: Tenant, contract: Contract
) -> None:
    created = await tenant.client.post("/api/v1/api-keys", json={"name": "budget", "scopes": ["read"]})
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"rate_limit_per_minute": 2})
    try:
        async with make_client(app, headers={"Authorization": f"Bearer {created.json()['secret']}"}) as client:
            answers = [await client.get("/api/v1/cycles") for _ in range(3)]
    finally:
        app.state.settings = saved
    assert answers[-1].status_code == 429
    contract.check(answers[-1])
    assert int(answers[-1].headers["Retry-After"]) >= 0
