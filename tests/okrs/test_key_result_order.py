"""Each objective lists its key results in creation order, whatever order the database returns their rows in.

The big reads take key results unsorted and order them per objective (docs/decisions/api-big-reads-unsorted.md).
Which order a small test database returns them in depends on the plan it picks, so the grouping is checked on
rows in a shuffled order, and the reads end to end after edits that write rows anew (an edit of an indexed column
moves the row to the end of the table and of its objective's index entries).
"""

from __future__ import annotations

import random
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from tests.support import Tenant, create, okr_setup

from sightline.okrs.subgraph import by_objective_in_order

Row = namedtuple("Row", "objective_id created_at id title")


def test_rows_in_any_order_come_back_grouped_in_creation_order() -> None:
    first, second = uuid4(), uuid4()
    start = datetime(2026, 1, 5, tzinfo=UTC)
    same_moment = start + timedelta(minutes=5)
    rows = [
        Row(first, start, uuid4(), "Leads"),
        Row(second, start + timedelta(minutes=1), uuid4(), "Churn"),
        Row(first, start + timedelta(minutes=2), uuid4(), "Pipeline"),
        # Created in the same microsecond: the id decides, as ORDER BY created_at, id did.
        *sorted((Row(first, same_moment, uuid4(), f"Tied {n}") for n in range(3)), key=lambda r: r.id),
    ]
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    grouped = by_objective_in_order(shuffled)
    assert [r.title for r in grouped[first]] == [r.title for r in rows if r.objective_id == first]
    assert [r.title for r in grouped[second]] == ["Churn"]


async def _key_results(tenant: Tenant, objective_id: str, titles: list[str]) -> list[dict[str, Any]]:
    return [
        await create(
            tenant.client,
            "/api/v1/key-results",
            {"objective_id": objective_id, "title": title, "start_value": 0, "target_value": 100},
        )
        for title in titles
    ]


async def test_lists_and_the_map_keep_creation_order_after_edits_move_rows(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    other = await create(
        tenant.client,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Keep customers", "level": "company"},
    )
    # Interleaved with another objective's, so creation order across objectives differs from each one's own.
    first = await _key_results(tenant, okr.objective["id"], ["Leads", "Pipeline"])
    await _key_results(tenant, other["id"], ["Churn"])
    first += await _key_results(tenant, okr.objective["id"], ["Wins", "Revenue"])
    for kr in reversed(first[:3]):  # the rows of the first three are written anew, last one first
        edited = await tenant.client.patch(
            f"/api/v1/key-results/{kr['id']}",
            json={"external_key": f"crm-{kr['title'].lower()}"},
            headers={"If-Match": f'"{kr["version"]}"'},
        )
        assert edited.status_code == 200, edited.text

    expected = ["Leads", "Pipeline", "Wins", "Revenue"]
    listed = (await tenant.client.get("/api/v1/objectives", params={"cycle_id": okr.cycle["id"]})).json()["items"]
    by_id = {o["id"]: o for o in listed}
    assert [kr["title"] for kr in by_id[okr.objective["id"]]["key_results"]] == expected
    assert [kr["title"] for kr in by_id[other["id"]]["key_results"]] == ["Churn"]

    map_ = (await tenant.client.get(f"/api/v1/cycles/{okr.cycle['id']}/alignment-map")).json()
    on_map = [kr["title"] for kr in map_["key_results"] if kr["objective_id"] == okr.objective["id"]]
    assert on_map == expected
