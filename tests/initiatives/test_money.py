"""Money is exact: decimals in, decimal strings out, sums to the cent; one currency unless configured."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
from tests.initiatives.helpers import initiative, read, spend
from tests.support import FixedClock, Tenant


async def test_budget_accepts_a_number_or_a_string_and_answers_a_two_decimal_string(tenant: Tenant) -> None:
    from_number = await initiative(tenant.client, planned_budget=1250.5)
    from_string = await initiative(tenant.client, planned_budget="1250")
    assert from_number["planned_budget"] == "1250.50"
    assert from_string["planned_budget"] == "1250.00"
    assert from_string["actual_spend"] == "0.00"
    assert from_string["remaining_budget"] == "1250.00"
    assert from_string["currency"] == "EUR"  # the organisation's currency by default


async def test_amounts_finer_than_a_cent_or_not_finite_are_refused(tenant: Tenant) -> None:
    for budget in ("10.005", 0.001, "NaN", "Infinity", "-5.00", "1e20", "ten"):
        response = await tenant.client.post(
            "/api/v1/initiatives", json={"title": "x", "kind": "task", "planned_budget": budget}
        )
        assert response.status_code == 422, (budget, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", "planned_budget"]


async def test_many_small_entries_sum_exactly(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    campaign = await initiative(tenant.client)
    # As JSON numbers (binary floats on the wire): 0.1 + 0.2 is 0.30000000000000004 in floating point.
    for amount in [0.1, 0.2] * 50:
        await spend(tenant.client, campaign["id"], amount, spent_on="2026-06-01")
    read_back = await read(tenant.client, campaign["id"])
    assert read_back["actual_spend"] == "15.00"
    assert read_back["remaining_budget"] == "985.00"
    assert sum([0.1, 0.2] * 50) != 15.0  # what floats would have shown
    stored = await owner_connection.fetchval(
        "SELECT sum(amount) FROM spend_entries WHERE initiative_id = $1", uuid.UUID(campaign["id"])
    )
    assert stored == Decimal("15.00")
    two = await initiative(tenant.client)
    await spend(tenant.client, two["id"], "0.10")
    await spend(tenant.client, two["id"], "0.20")
    assert (await read(tenant.client, two["id"]))["actual_spend"] == "0.30"


async def test_the_stored_type_is_exact_numeric(owner_connection: asyncpg.Connection) -> None:
    types = dict(
        await owner_connection.fetch(
            """SELECT table_name || '.' || column_name,
                      data_type || '(' || numeric_precision || ',' || numeric_scale || ')'
               FROM information_schema.columns WHERE column_name IN ('planned_budget', 'amount', 'share')
               AND table_name IN ('initiatives', 'spend_entries', 'initiative_key_results')"""
        )
    )
    assert types == {
        "initiatives.planned_budget": "numeric(14,2)",
        "spend_entries.amount": "numeric(14,2)",
        "initiative_key_results.share": "numeric(5,4)",
    }


async def test_another_currency_is_refused_unless_the_organisation_accepts_it(
    tenant: Tenant, clock: FixedClock
) -> None:
    refused = await tenant.client.post("/api/v1/initiatives", json={"title": "US launch", "currency": "USD"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "currency"]
    assert "USD" in refused.json()["errors"][0]["message"]

    org = await tenant.client.get("/api/v1/organisation")
    assert org.json()["settings"]["accepted_currencies"] == []
    patched = await tenant.client.patch(
        "/api/v1/organisation",
        json={"settings": {"accepted_currencies": ["USD", "GBP", "USD"]}},
        headers={"If-Match": org.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["settings"]["accepted_currencies"] == ["GBP", "USD"]
    launch = await initiative(tenant.client, currency="USD")
    assert launch["currency"] == "USD"
    assert (await tenant.client.post("/api/v1/initiatives", json={"title": "x", "currency": "CHF"})).status_code == 422
    assert (await tenant.client.post("/api/v1/initiatives", json={"title": "x", "currency": "usd"})).status_code == 422

    # Spend is recorded in the initiative's currency; naming another one is refused.
    clock.set("2026-07-01T12:00:00+02:00")
    wrong = await tenant.client.post(f"/api/v1/initiatives/{launch['id']}/spend", json={"amount": 5, "currency": "EUR"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "currency"]
    entry = await spend(tenant.client, launch["id"], 5, currency="USD")
    assert (entry["amount"], entry["currency"]) == ("5.00", "USD")


async def test_currency_changes_only_while_no_spend_is_recorded(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    org = await tenant.client.get("/api/v1/organisation")
    await tenant.client.patch(
        "/api/v1/organisation",
        json={"settings": {"accepted_currencies": ["USD"]}},
        headers={"If-Match": org.headers["etag"]},
    )
    campaign = await initiative(tenant.client)
    moved = await tenant.client.patch(
        f"/api/v1/initiatives/{campaign['id']}", json={"currency": "USD"}, headers={"If-Match": '"1"'}
    )
    assert moved.status_code == 200
    assert moved.json()["currency"] == "USD"
    await spend(tenant.client, campaign["id"], "10.00")
    back = await tenant.client.patch(
        f"/api/v1/initiatives/{campaign['id']}", json={"currency": "EUR"}, headers={"If-Match": '"2"'}
    )
    assert back.status_code == 409
    assert (await read(tenant.client, campaign["id"]))["currency"] == "USD"
