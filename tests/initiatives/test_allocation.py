"""The split rule with worked numbers: explicit shares, equal split of the rest, unallocated money, cents."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
import pytest
from tests.initiatives.helpers import initiative, key_results, read, spend
from tests.support import FixedClock, Tenant

from sightline.initiatives.allocation import Link, split

A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize(
    ("amount", "shares", "allocated", "unallocated"),
    [
        pytest.param("100.00", ["0.5", None, None], ["50.00", "25.00", "25.00"], "0.00", id="rest-split-equally"),
        pytest.param("100.00", ["0.2", "0.3"], ["20.00", "30.00"], "50.00", id="explicit-below-1-leaves-unallocated"),
        pytest.param("100.00", [None, None, None], ["33.34", "33.33", "33.33"], "0.00", id="thirds-add-up-to-the-cent"),
        pytest.param("100.00", ["1", None], ["100.00", "0.00"], "0.00", id="nothing-left-for-the-unshared-link"),
        pytest.param("0.01", [None, None], ["0.01", "0.00"], "0.00", id="one-cent-goes-to-the-smaller-id"),
        pytest.param("10.00", ["0.3333"], ["3.33"], "6.67", id="exact-part-3.333-rounds-to-3.33"),
        pytest.param("1250.00", ["0.25", "0.25", None], ["312.50", "312.50", "625.00"], "0.00", id="budget-quarters"),
        pytest.param("-30.00", [None, None, None], ["-10.00", "-10.00", "-10.00"], "0.00", id="negative-corrections"),
        pytest.param("77.77", [], [], "77.77", id="no-links-all-unallocated"),
    ],
)
def test_split_rule(amount: str, shares: list[str | None], allocated: list[str], unallocated: str) -> None:
    links = [Link(key_result_id=kr, share=_d(share)) for kr, share in zip((A, B, C), shares, strict=False)]
    result = split(Decimal(amount), links)
    assert [str(v) for v in result.allocated.values()] == allocated
    assert str(result.unallocated) == unallocated
    assert sum(result.allocated.values(), result.unallocated) == Decimal(amount)


async def test_allocations_are_shown_per_link_with_worked_numbers(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    _, (kr1, kr2, kr3) = await key_results(tenant.client, 3)
    campaign = await initiative(
        tenant.client,
        planned_budget="900.00",
        key_results=[
            {"key_result_id": kr1["id"], "share": "0.5"},
            {"key_result_id": kr2["id"]},
            {"key_result_id": kr3["id"]},
        ],
    )
    await spend(tenant.client, campaign["id"], "100.00")
    await spend(tenant.client, campaign["id"], "0.01")
    shown = await read(tenant.client, campaign["id"])
    # kr1: 0.5 explicitly; kr2 and kr3 share the remaining 0.5 equally → 0.25 each.
    rows = {link["key_result_id"]: link for link in shown["key_results"]}
    assert rows[kr1["id"]]["share"] == "0.5000"
    assert rows[kr2["id"]]["share"] is None
    assert [rows[k["id"]]["effective_share"] for k in (kr1, kr2, kr3)] == ["0.5000", "0.2500", "0.2500"]
    assert [rows[k["id"]]["allocated_budget"] for k in (kr1, kr2, kr3)] == ["450.00", "225.00", "225.00"]
    # 100.01 × (0.5, 0.25, 0.25) = 50.005, 25.0025, 25.0025 → 50.01 (largest remainder), 25.00, 25.00.
    assert [rows[k["id"]]["allocated_spend"] for k in (kr1, kr2, kr3)] == ["50.01", "25.00", "25.00"]
    assert (shown["unallocated_share"], shown["unallocated_spend"]) == ("0.0000", "0.00")


async def test_explicit_shares_below_one_leave_the_rest_unallocated(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    _, (kr1, kr2) = await key_results(tenant.client, 2)
    campaign = await initiative(
        tenant.client,
        key_results=[{"key_result_id": kr1["id"], "share": 0.2}, {"key_result_id": kr2["id"], "share": "0.3"}],
    )
    await spend(tenant.client, campaign["id"], 400)
    shown = await read(tenant.client, campaign["id"])
    assert [link["allocated_spend"] for link in shown["key_results"]] == ["80.00", "120.00"]
    assert (shown["unallocated_share"], shown["unallocated_spend"]) == ("0.5000", "200.00")


async def test_shares_over_one_in_total_are_refused_naming_the_field(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    _, (kr1, kr2) = await key_results(tenant.client, 2)
    over = [{"key_result_id": kr1["id"], "share": "0.6"}, {"key_result_id": kr2["id"], "share": "0.4001"}]
    created = await tenant.client.post("/api/v1/initiatives", json={"title": "x", "key_results": over})
    assert created.status_code == 422
    assert created.json()["errors"][0]["loc"] == ["body", "key_results"]
    assert "1.0001" in created.json()["errors"][0]["message"]
    campaign = await initiative(tenant.client)
    replaced = await tenant.client.put(
        f"/api/v1/initiatives/{campaign['id']}/key-results", json={"key_results": over}, headers={"If-Match": '"1"'}
    )
    assert replaced.status_code == 422
    assert replaced.json()["errors"][0]["loc"] == ["body", "key_results"]
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM initiative_key_results WHERE initiative_id = $1", uuid.UUID(campaign["id"])
        )
        == 0
    )
    exactly_one = [{"key_result_id": kr1["id"], "share": "0.6"}, {"key_result_id": kr2["id"], "share": "0.4"}]
    accepted = await tenant.client.put(
        f"/api/v1/initiatives/{campaign['id']}/key-results",
        json={"key_results": exactly_one},
        headers={"If-Match": '"1"'},
    )
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("share", [0, "-0.1", 1.5, "0.12345", "NaN"])
async def test_a_share_outside_0_to_1_or_finer_than_four_decimals_is_refused(tenant: Tenant, share: object) -> None:
    _, (kr,) = await key_results(tenant.client, 1)
    response = await tenant.client.post(
        "/api/v1/initiatives", json={"title": "x", "key_results": [{"key_result_id": kr["id"], "share": share}]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "key_results", 0, "share"]


async def test_links_replace_the_set_and_refuse_duplicates_and_unknown_key_results(tenant: Tenant) -> None:
    _, (kr1, kr2, kr3) = await key_results(tenant.client, 3)
    campaign = await initiative(tenant.client, key_results=[{"key_result_id": kr1["id"]}])
    url = f"/api/v1/initiatives/{campaign['id']}/key-results"
    twice = await tenant.client.put(
        url,
        json={"key_results": [{"key_result_id": kr2["id"]}, {"key_result_id": kr2["id"]}]},
        headers={"If-Match": '"1"'},
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["loc"] == ["body", "key_results", 1, "key_result_id"]
    unknown = await tenant.client.put(
        url, json={"key_results": [{"key_result_id": str(uuid.uuid4())}]}, headers={"If-Match": '"1"'}
    )
    assert unknown.status_code == 404
    missing_if_match = await tenant.client.put(url, json={"key_results": []})
    assert missing_if_match.status_code == 428
    replaced = await tenant.client.put(
        url,
        json={"key_results": [{"key_result_id": kr2["id"], "share": "0.7"}, {"key_result_id": kr3["id"]}]},
        headers={"If-Match": '"1"'},
    )
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    assert {(link["key_result_id"], link["effective_share"]) for link in replaced.json()["key_results"]} == {
        (kr2["id"], "0.7000"),
        (kr3["id"], "0.3000"),
    }
    stale = await tenant.client.put(url, json={"key_results": []}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    # The same set again is a no-op: no new version.
    same = await tenant.client.put(
        url,
        json={"key_results": [{"key_result_id": kr3["id"]}, {"key_result_id": kr2["id"], "share": 0.7}]},
        headers={"If-Match": '"2"'},
    )
    assert same.headers["etag"] == '"2"'
    cleared = await tenant.client.put(url, json={"key_results": []}, headers={"If-Match": '"2"'})
    assert cleared.json()["key_results"] == []
    assert cleared.json()["unallocated_share"] == "1.0000"
