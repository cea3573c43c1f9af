"""Issue 15, points 12 and 13: one 422 naming every bad batch item; milestone values defined and enforced."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from tests.support import Tenant, create, okr_setup


def _by_item(problem: dict[str, Any]) -> dict[int, list[tuple[str, str]]]:
    """The problem's errors by item index: [(field, type)] each."""
    found: dict[int, list[tuple[str, str]]] = {}
    for error in problem["errors"]:
        assert error["loc"][:2] == ["body", "items"], error
        found.setdefault(error["loc"][2], []).append((str(error["loc"][3]), error["type"]))
    return found


async def test_batch_reports_every_bad_item_whatever_is_wrong_with_it(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 1000, "external_key": "crm:leads"},
    )
    launch = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Launch", "metric": "milestone", "target_value": 1},
    )
    items: list[dict[str, Any]] = [
        {"key_result_id": kr["id"], "value": 10},  # 0: fine
        {"key_result_id": kr["id"], "value": "lots"},  # 1: a type error
        {"external_key": "crm:nope", "value": 3},  # 2: a rule error (no such key result)
        {"key_result_id": kr["id"], "value": 5, "confidence": 11, "mood": "good"},  # 3: two type errors
        {"key_result_id": kr["id"], "value": 5, "checked_in_at": "2099-01-01T00:00:00Z"},  # 4: in the future
        {"key_result_id": launch["id"], "value": 7},  # 5: no value of a 0/1 milestone
        {"key_result_id": kr["id"], "external_key": "crm:leads", "value": 1},  # 6: both ways of naming it
        {"external_key": "crm:leads", "value": 12},  # 7: fine
    ]
    response = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert _by_item(problem) == {
        1: [("value", "float_parsing")],
        2: [("external_key", "invalid")],
        3: [("confidence", "less_than_equal"), ("mood", "extra_forbidden")],
        4: [("checked_in_at", "invalid")],
        5: [("value", "invalid")],
        6: [("key_result_id", "invalid")],
    }
    assert problem["detail"].startswith("6 of 8 items are invalid")
    assert [e["loc"][2] for e in problem["errors"]] == sorted(e["loc"][2] for e in problem["errors"])
    written = await owner_connection.fetchval(
        "SELECT count(*) FROM check_ins WHERE key_result_id = ANY($1::uuid[])",
        [uuid.UUID(kr["id"]), uuid.UUID(launch["id"])],
    )
    assert written == 0  # all or nothing

    # Every item malformed, or the envelope too: still one 422 naming each item.
    all_bad = await tenant.client.post(
        "/api/v1/check-ins:batch", json={"items": [{"value": "x"}, {"key_result_id": kr["id"], "value": True}]}
    )
    assert all_bad.status_code == 422
    assert set(_by_item(all_bad.json())) == {0, 1}
    envelope = await tenant.client.post(
        "/api/v1/check-ins:batch", json={"items": [{"key_result_id": kr["id"], "value": "x"}], "source": "NOT OK"}
    )
    assert envelope.status_code == 422
    assert {tuple(e["loc"][:3]) for e in envelope.json()["errors"]} == {("body", "items", 0), ("body", "source")}

    fixed = [items[0], {"key_result_id": launch["id"], "value": 1}, items[7]]
    accepted = await tenant.client.post("/api/v1/check-ins:batch", json={"items": fixed})
    assert accepted.status_code == 201, accepted.text
    assert [c["value"] for c in accepted.json()["items"]] == [10, 1, 12]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target_value": 0.5}, "target_value"),
        ({"target_value": 2.5}, "target_value"),
        ({"target_value": 3, "start_value": 1}, "start_value"),
        ({"target_value": 1, "direction": "decrease"}, "direction"),
        ({"target_value": 1, "stretch_value": 2}, "stretch_value"),
        ({"target_value": 1, "previous_value": 0.5}, "previous_value"),
        ({"target_value": 3, "milestone_plan": [{"date": "2026-03-01", "value": 4}]}, "milestone_plan"),
        ({"target_value": 3, "milestone_plan": [{"date": "2026-03-01", "value": 1.5}]}, "milestone_plan"),
    ],
)
async def test_milestone_key_results_take_steps_only(tenant: Tenant, fields: dict[str, Any], field: str) -> None:
    okr = await okr_setup(tenant.client)
    body = {"objective_id": okr.objective["id"], "title": "Launch", "metric": "milestone", **fields}
    response = await tenant.client.post("/api/v1/key-results", json=body)
    assert response.status_code == 422, response.text
    assert field in {e["loc"][1] for e in response.json()["errors"]}, response.json()


async def test_a_milestone_is_done_at_its_last_step_only(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    flag = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Launch", "metric": "milestone", "target_value": 1},
    )
    # 7 on a 0/1 milestone is refused, not counted as done; so are half steps and negatives.
    for value in (7, 0.5, -1):
        refused = await tenant.client.post("/api/v1/check-ins", json={"key_result_id": flag["id"], "value": value})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "value"]
    read = (await tenant.client.get(f"/api/v1/key-results/{flag['id']}")).json()
    assert (read["current_value"], read["progress"], read["last_check_in_at"]) == (0, 0, None)

    steps = await create(
        tenant.client,
        "/api/v1/key-results",
        {
            "objective_id": okr.objective["id"],
            "title": "Rollout in four markets",
            "metric": "milestone",
            "target_value": 4,
            "milestone_plan": [{"date": "2026-03-31", "value": 1}, {"date": "2026-06-30", "value": 3}],
        },
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": steps["id"], "value": 3})
    three = (await tenant.client.get(f"/api/v1/key-results/{steps['id']}")).json()
    assert (three["current_value"], three["progress"], three["score"]) == (3, 0, 0)
    too_far = await tenant.client.post("/api/v1/check-ins", json={"key_result_id": steps["id"], "value": 5})
    assert too_far.status_code == 422
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": steps["id"], "value": 4})
    done = (await tenant.client.get(f"/api/v1/key-results/{steps['id']}")).json()
    assert (done["progress"], done["score"], done["status"]) == (1, 1, "done")

    # Editing: the target cannot drop below the value already reached, and a stale ETag does not hide the 422.
    edit = await tenant.client.patch(
        f"/api/v1/key-results/{steps['id']}", json={"target_value": 2}, headers={"If-Match": '"999"'}
    )
    assert edit.status_code == 422, edit.text
    assert {tuple(e["loc"]) for e in edit.json()["errors"]} >= {("body", "target_value")}


async def test_a_number_key_result_with_a_history_becomes_a_milestone_only_at_a_step(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "Docs", "target_value": 10}
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 7})
    etag = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).headers["ETag"]
    refused = await tenant.client.patch(
        f"/api/v1/key-results/{kr['id']}", json={"metric": "milestone", "target_value": 1}, headers={"If-Match": etag}
    )
    assert refused.status_code == 422, refused.text
    accepted = await tenant.client.patch(
        f"/api/v1/key-results/{kr['id']}", json={"metric": "milestone", "target_value": 8}, headers={"If-Match": etag}
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["current_value"], accepted.json()["progress"]) == (7, 0)  # 7 of 8 steps: not done
