"""Big reads straight from the driver (db/rows.py): the same values as SQLAlchemy's rows, under the tenant."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.support import Tenant, create, okr_setup

from sightline.db.rows import fetch_named, fetch_rows
from sightline.db.tenancy import set_tenant

KEY_RESULTS = "SELECT * FROM key_results WHERE org_id = $1 ORDER BY created_at, id"


async def _tenant_with_key_results(tenant: Tenant) -> uuid.UUID:
    okr = await okr_setup(tenant.client)
    await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )
    await create(
        tenant.client,
        "/api/v1/key-results",
        {
            "objective_id": okr.objective["id"],
            "title": "Launch",
            "metric": "milestone",
            "target_value": 2,
            "milestone_plan": [{"date": okr.cycle["end_date"], "value": 2}],
        },
    )
    return uuid.UUID(tenant.org_id)


async def test_rows_are_named_tuples_with_the_values_sqlalchemy_gives(app: FastAPI, tenant: Tenant) -> None:
    org = await _tenant_with_key_results(tenant)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org)
        rows = await fetch_rows(session, KEY_RESULTS, org)
        expected = (await session.execute(text(KEY_RESULTS.replace("$1", ":org")), {"org": org})).all()
    assert len(rows) == len(expected) >= 2
    assert [row._asdict() for row in rows] == [dict(row._mapping) for row in expected]
    milestone = next(row for row in rows if row.metric == "milestone")
    assert milestone.milestone_plan == [{"date": milestone.milestone_plan[0]["date"], "value": 2}]  # json decoded
    assert isinstance(milestone.id, uuid.UUID) and milestone.created_at.tzinfo is not None


async def test_rows_are_read_under_the_sessions_tenant(app: FastAPI, tenant: Tenant) -> None:
    org = await _tenant_with_key_results(tenant)
    other = uuid.uuid4()  # an organisation the session is not scoped to: row-level security shows nothing
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, other)
        assert await fetch_rows(session, KEY_RESULTS, org) == []
        assert await fetch_rows(session, "SELECT count(*) AS n FROM key_results") == [(0,)]


async def test_outside_a_transaction_nothing_is_read(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        with pytest.raises(RuntimeError, match="after the tenant is set"):
            await fetch_rows(session, "SELECT 1 AS one")


async def test_a_refusal_reaches_the_handlers_as_sqlalchemy_reports_it(app: FastAPI, tenant: Tenant) -> None:
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, uuid.UUID(tenant.org_id))
        with pytest.raises(DBAPIError) as refused:
            await fetch_rows(session, "SELECT 1 / 0 AS never")
    assert refused.value.orig is not None and getattr(refused.value.orig, "sqlstate", None) == "22012"


async def test_named_parameters_are_bound_once_each_whatever_their_use(app: FastAPI, tenant: Tenant) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, uuid.UUID(tenant.org_id))
        rows = await fetch_named(
            session,
            "SELECT CAST(:n AS integer) AS n, CAST(:n AS integer) + 1 AS next, CAST(:ids AS uuid[]) AS ids,"
            " '[]'::jsonb AS empty",
            {"n": 41, "ids": ids},
        )
    assert rows == [(41, 42, ids, [])]
    assert rows[0].next == 42 and rows[0].ids == ids
