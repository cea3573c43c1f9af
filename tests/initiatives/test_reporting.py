"""What the coverage report and alignment map call: money per key result and unaligned work, one statement each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from tests.initiatives.helpers import initiative, key_results, spend
from tests.support import FixedClock, StatementCounter, Tenant

from sightline.db.tenancy import set_tenant
from sightline.initiatives.reporting import allocations_by_key_result, spend_by_key_result, unaligned_initiatives


@asynccontextmanager
async def tenant_session(app: FastAPI, org_id: str) -> AsyncIterator[AsyncSession]:
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, UUID(org_id))
        yield session


def _money(values: dict[UUID, Decimal]) -> dict[str, str]:
    return {str(k): str(v) for k, v in values.items()}


async def test_spend_and_budget_per_key_result_and_unaligned_work(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-07-01T12:00:00+02:00")
    org = await tenant.client.get("/api/v1/organisation")
    await tenant.client.patch(
        "/api/v1/organisation",
        json={"settings": {"accepted_currencies": ["USD"]}},
        headers={"If-Match": org.headers["etag"]},
    )
    year, (k1, k2, k3) = await key_results(tenant.client, 3)
    _, (q1,) = await key_results(tenant.client, 1, start="2026-01-01", end="2026-03-31")
    # P: k1 0.5 explicitly; k2 and q1 split the other half → 0.25 each. 300.00 spent (200 in March, 100 in May).
    p = await initiative(
        tenant.client,
        title="P",
        planned_budget="1000.00",
        key_results=[
            {"key_result_id": k1["id"], "share": "0.5"},
            {"key_result_id": k2["id"]},
            {"key_result_id": q1["id"]},
        ],
    )
    await spend(tenant.client, p["id"], "200.00", spent_on="2026-03-15")
    await spend(tenant.client, p["id"], "100.00", spent_on="2026-05-15")
    # Q: dropped, only 0.3 to k2 (0.7 unallocated); 50.00 spent in February.
    q = await initiative(
        tenant.client,
        title="Q",
        state="dropped",
        planned_budget="600.00",
        key_results=[{"key_result_id": k2["id"], "share": 0.3}],
    )
    await spend(tenant.client, q["id"], "50.00", spent_on="2026-02-01")
    # U: linked to nothing, dated inside the year; W: linked to nothing, dated in 2025.
    u = await initiative(
        tenant.client, title="U", planned_budget="300.00", start_date="2026-04-01", end_date="2026-04-30"
    )
    await spend(tenant.client, u["id"], "80.00", spent_on="2026-04-10")
    # V: in USD, all of it to k3.
    v = await initiative(
        tenant.client, title="V", currency="USD", planned_budget="100.00", key_results=[{"key_result_id": k3["id"]}]
    )
    await spend(tenant.client, v["id"], "10.00")
    w = await initiative(tenant.client, title="W", planned_budget="0", start_date="2025-01-01", end_date="2025-12-31")

    async with tenant_session(app, tenant.org_id) as session:
        with StatementCounter(app) as counter:
            by_kr = await spend_by_key_result(session, org_id=UUID(tenant.org_id), cycle_id=UUID(year["id"]))
        assert counter.count == 1
        # k1: 300 × 0.5 = 150; k2: 300 × 0.25 + 50 × 0.3 = 75 + 15 = 90; k3: only USD money, so 0 in EUR.
        assert _money(by_kr) == {k1["id"]: "150.00", k2["id"]: "90.00", k3["id"]: "0.00"}

        in_march = await spend_by_key_result(
            session, org_id=UUID(tenant.org_id), cycle_id=UUID(year["id"]), as_of=_day("2026-03-31")
        )
        assert _money(in_march) == {k1["id"]: "100.00", k2["id"]: "65.00", k3["id"]: "0.00"}

        only_q1 = await spend_by_key_result(session, org_id=UUID(tenant.org_id), key_result_ids=[UUID(q1["id"])])
        assert _money(only_q1) == {q1["id"]: "75.00"}
        assert await spend_by_key_result(session, org_id=UUID(tenant.org_id), key_result_ids=[]) == {}

        money = await allocations_by_key_result(session, org_id=UUID(tenant.org_id), cycle_ids=[UUID(year["id"])])
        # Budgets: P 1000 × (0.5, 0.25); Q is dropped, so its budget counts 0; V's budget is in USD.
        assert {str(k): (str(m.budget), m.currency) for k, m in money.items()} == {
            k1["id"]: ("500.00", "EUR"),
            k2["id"]: ("250.00", "EUR"),
            k3["id"]: ("0.00", "EUR"),
        }
        assert sorted(map(str, money[UUID(k2["id"])].initiative_ids)) == sorted([p["id"], q["id"]])
        assert [str(i) for i in money[UUID(k3["id"])].initiative_ids] == [v["id"]]
        in_usd = await allocations_by_key_result(
            session, org_id=UUID(tenant.org_id), cycle_ids=[UUID(year["id"])], currency="USD"
        )
        assert (str(in_usd[UUID(k3["id"])].spend), str(in_usd[UUID(k3["id"])].budget)) == ("10.00", "100.00")
        assert str(in_usd[UUID(k1["id"])].spend) == "0.00"

        with StatementCounter(app) as counter:
            in_year = await unaligned_initiatives(session, org_id=UUID(tenant.org_id), cycle_id=UUID(year["id"]))
        assert counter.count == 1
        assert [(i.title, str(i.planned_budget), str(i.actual_spend), str(i.unaligned_spend)) for i in in_year] == [
            ("U", "300.00", "80.00", "80.00")
        ]
        anywhere = await unaligned_initiatives(session, org_id=UUID(tenant.org_id))
        assert sorted(str(i.id) for i in anywhere) == sorted([u["id"], w["id"]])
        partial = await unaligned_initiatives(
            session, org_id=UUID(tenant.org_id), cycle_id=UUID(year["id"]), include_partial=True
        )
        # Q leaves 0.7 of its 50.00 unallocated: 35.00.
        assert sorted(
            (i.title, i.key_result_count, str(i.unaligned_share), str(i.unaligned_spend)) for i in partial
        ) == [
            ("Q", 1, "0.7000", "35.00"),
            ("U", 0, "1.0000", "80.00"),
        ]
        before_april = await unaligned_initiatives(
            session, org_id=UUID(tenant.org_id), cycle_id=UUID(year["id"]), as_of=_day("2026-04-09")
        )
        assert [str(i.actual_spend) for i in before_april] == ["0.00"]


def _day(iso: str) -> date:
    return date.fromisoformat(iso)


async def test_one_statement_whatever_the_number_of_initiatives(app: FastAPI, signup: object) -> None:
    counts = []
    for size in (1, 12):
        tenant = await signup()  # type: ignore[operator]
        cycle, krs = await key_results(tenant.client, 2)
        for i in range(size):
            linked = await initiative(
                tenant.client, title=f"L{i}", key_results=[{"key_result_id": kr["id"]} for kr in krs]
            )
            await spend(tenant.client, linked["id"], "3.00")
            loose = await initiative(tenant.client, title=f"U{i}")
            await spend(tenant.client, loose["id"], "1.00")
        async with tenant_session(app, tenant.org_id) as session:
            with StatementCounter(app) as counter:
                by_kr = await spend_by_key_result(session, org_id=UUID(tenant.org_id), cycle_id=UUID(cycle["id"]))
                unaligned = await unaligned_initiatives(session, org_id=UUID(tenant.org_id), cycle_id=UUID(cycle["id"]))
        # 3.00 split equally between two key results: 1.50 each, per initiative.
        assert sorted(str(v) for v in by_kr.values()) == [f"{1.5 * size:.2f}"] * 2
        assert sum(i.actual_spend for i in unaligned) == size
        counts.append(counter.count)
    assert counts == [2, 2]
