"""Spend over time: append-only entries, corrections with a reason, spend to date at any date."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
from fastapi import FastAPI
from tests.initiatives.helpers import initiative, read, spend
from tests.support import FixedClock, Tenant


async def test_spend_to_date_at_any_date(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    campaign = await initiative(tenant.client, planned_budget="500.00")
    await spend(tenant.client, campaign["id"], "100.00", spent_on="2026-03-10", note="agency retainer")
    await spend(tenant.client, campaign["id"], "250.50", spent_on="2026-04-05")
    await spend(tenant.client, campaign["id"], "-50.00", spent_on="2026-04-20", reason="invoice credited")
    at = {
        as_of: (await read(tenant.client, campaign["id"], as_of=as_of))["actual_spend"]
        for as_of in ("2026-03-09", "2026-03-10", "2026-03-31", "2026-04-10", "2026-04-30", "2027-01-01")
    }
    assert at == {
        "2026-03-09": "0.00",
        "2026-03-10": "100.00",
        "2026-03-31": "100.00",
        "2026-04-10": "350.50",
        "2026-04-30": "300.50",
        "2027-01-01": "300.50",
    }
    now = await read(tenant.client, campaign["id"])
    assert (now["actual_spend"], now["remaining_budget"], now["as_of"]) == ("300.50", "199.50", None)
    assert (await read(tenant.client, campaign["id"], as_of="2026-04-10"))["as_of"] == "2026-04-10"
    listed = (await tenant.client.get("/api/v1/initiatives", params={"as_of": "2026-03-31"})).json()["items"]
    assert [i["actual_spend"] for i in listed] == ["100.00"]


async def test_entries_are_listed_by_date_spent_and_paged(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    campaign = await initiative(tenant.client)
    for day in ("2026-05-03", "2026-01-15", "2026-03-01", "2026-03-01", "2026-06-30"):
        await spend(tenant.client, campaign["id"], "1.00", spent_on=day)
    url = f"/api/v1/initiatives/{campaign['id']}/spend"
    first = (await tenant.client.get(url, params={"limit": 3})).json()
    second = (await tenant.client.get(url, params={"limit": 3, "cursor": first["next_cursor"]})).json()
    days = [e["spent_on"] for e in first["items"] + second["items"]]
    assert days == ["2026-01-15", "2026-03-01", "2026-03-01", "2026-05-03", "2026-06-30"]
    assert second["next_cursor"] is None
    until = (await tenant.client.get(url, params={"until": "2026-03-01"})).json()["items"]
    assert len(until) == 3
    entry = first["items"][0]
    assert (entry["amount"], entry["currency"], entry["actor"]) == ("1.00", "EUR", f"user:{tenant.owner_id}")
    assert entry["author_id"] == tenant.owner_id


async def test_spent_on_defaults_to_today_in_the_organisations_time_zone(tenant: Tenant, clock: FixedClock) -> None:
    # 23:30 UTC on 30 June is already 1 July in Berlin (the default time zone).
    clock.set("2026-06-30T23:30:00+00:00")
    campaign = await initiative(tenant.client)
    entry = await spend(tenant.client, campaign["id"], 10)
    assert entry["spent_on"] == "2026-07-01"
    future = await tenant.client.post(
        f"/api/v1/initiatives/{campaign['id']}/spend", json={"amount": 10, "spent_on": "2026-07-02"}
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["loc"] == ["body", "spent_on"]


async def test_corrections_need_a_reason_and_never_make_spend_negative(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    campaign = await initiative(tenant.client)
    url = f"/api/v1/initiatives/{campaign['id']}/spend"
    await spend(tenant.client, campaign["id"], "100.00", spent_on="2026-05-01")
    await spend(tenant.client, campaign["id"], "-60.00", spent_on="2026-06-01", reason="refund")

    def first_error(response: object) -> list[object]:
        return response.json()["errors"][0]["loc"]  # type: ignore[attr-defined,no-any-return]

    no_reason = await tenant.client.post(url, json={"amount": "-1.00", "spent_on": "2026-06-02"})
    assert (no_reason.status_code, first_error(no_reason)) == (422, ["body", "reason"])
    reason_on_spend = await tenant.client.post(url, json={"amount": "1.00", "reason": "why"})
    assert (reason_on_spend.status_code, first_error(reason_on_spend)) == (422, ["body", "reason"])
    zero = await tenant.client.post(url, json={"amount": 0})
    assert (zero.status_code, first_error(zero)) == (422, ["body", "amount"])
    # 40.00 is left after the refund: a further 40.01 would take it below zero.
    too_much = await tenant.client.post(url, json={"amount": "-40.01", "reason": "refund", "spent_on": "2026-06-15"})
    assert (too_much.status_code, first_error(too_much)) == (422, ["body", "amount"])
    # Dated before any spend: the spend to date on that day would be negative.
    too_early = await tenant.client.post(url, json={"amount": "-1.00", "reason": "x", "spent_on": "2026-04-30"})
    assert (too_early.status_code, first_error(too_early)) == (422, ["body", "amount"])
    # Dated between the spend and the refund: the total after the refund (40.00) still limits it.
    between = await tenant.client.post(url, json={"amount": "-50.00", "reason": "x", "spent_on": "2026-05-15"})
    assert (between.status_code, first_error(between)) == (422, ["body", "amount"])
    exact = await spend(tenant.client, campaign["id"], "-40.00", spent_on="2026-05-15", reason="credit note")
    assert exact["reason"] == "credit note"
    assert (await read(tenant.client, campaign["id"]))["actual_spend"] == "0.00"
    rows = await owner_connection.fetch(
        "SELECT amount, reason FROM spend_entries WHERE initiative_id = $1 ORDER BY seq", uuid.UUID(campaign["id"])
    )
    assert [(str(r["amount"]), r["reason"]) for r in rows] == [
        ("100.00", None),
        ("-60.00", "refund"),
        ("-40.00", "credit note"),
    ]


async def test_spend_entries_have_no_update_or_delete_route(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    spend_paths = {path: set(item) for path, item in paths.items() if "/spend" in path}
    assert spend_paths == {"/api/v1/initiatives/{initiative_id}/spend": {"get", "post"}}


async def test_the_app_role_cannot_change_or_remove_spend_entries(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    privileges = await owner_connection.fetch(
        """SELECT privilege_type FROM information_schema.role_table_grants
           WHERE grantee = 'sightline_app' AND table_name = 'spend_entries'"""
    )
    granted = {r["privilege_type"] for r in privileges}
    assert {"SELECT", "INSERT"} <= granted
    assert not granted & {"UPDATE", "DELETE", "TRUNCATE"}
    # And in practice: as the app role, inside the tenant, an UPDATE is refused by PostgreSQL.
    clock.set("2026-07-01T12:00:00+02:00")
    campaign = await initiative(tenant.client)
    await spend(tenant.client, campaign["id"], "10.00")
    for statement in ("UPDATE spend_entries SET amount = 1", "DELETE FROM spend_entries"):
        try:
            async with owner_connection.transaction():
                await owner_connection.execute("SET LOCAL ROLE sightline_app")
                await owner_connection.execute("SELECT set_config('app.org_id', $1, true)", tenant.org_id)
                await owner_connection.execute(statement)
        except asyncpg.InsufficientPrivilegeError:
            continue
        raise AssertionError(f"{statement} was allowed")
    assert await owner_connection.fetchval(
        "SELECT amount FROM spend_entries WHERE initiative_id = $1", uuid.UUID(campaign["id"])
    ) == Decimal("10.00")
