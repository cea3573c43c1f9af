"""Issue 15, point 17: the demo has a closed quarter with data — objectives, check-ins, grades, retrospective:
the fiscal year's first once it has ended, else the previous year's last."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID

import asyncpg
import pytest
from fastapi import FastAPI
from tests.demo.conftest import FreshDatabase
from tests.demo.test_demo import TODAY

from sightline.db.engine import create_engine, session_factory
from sightline.db.migrate import upgrade
from sightline.db.urls import asyncpg_dsn
from sightline.demo import DemoCredentials, load_demo


async def _assert_closed_with_data(conn: asyncpg.Connection, org: UUID, name: str) -> None:
    """The cycle `name` is closed with its objectives, weeks of check-ins and its retrospective."""
    cycle = await conn.fetchrow("SELECT id, state FROM cycles WHERE org_id = $1 AND name = $2", org, name)
    assert cycle is not None and cycle["state"] == "closed"
    objectives = await conn.fetch(
        "SELECT id, state FROM objectives WHERE org_id = $1 AND cycle_id = $2", org, cycle["id"]
    )
    assert len(objectives) >= 1
    assert {o["state"] for o in objectives} == {"closed"}
    check_ins = await conn.fetchval(
        """SELECT count(*) FROM check_ins c JOIN key_results k ON k.org_id = c.org_id AND k.id = c.key_result_id
           JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
           WHERE c.org_id = $1 AND o.cycle_id = $2""",
        org,
        cycle["id"],
    )
    assert check_ins >= 10
    retrospective = await conn.fetchval(
        "SELECT count(*) FROM retrospectives WHERE org_id = $1 AND cycle_id = $2", org, cycle["id"]
    )
    assert retrospective == 1


@pytest.fixture(scope="module")
async def demo(app: FastAPI) -> DemoCredentials:
    return await load_demo(app.state.session_factory, today=TODAY)


async def test_the_first_quarter_is_closed_with_objectives_check_ins_and_a_retrospective(
    demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    await _assert_closed_with_data(owner_connection, demo.organisation_id, "FY2026-Q1")


async def test_a_demo_loaded_in_the_first_quarter_closes_the_previous_years_last_quarter(
    fresh_database: FreshDatabase,
) -> None:
    """In April to June no quarter of the fiscal year has ended yet: the previous year's last one is there, closed."""
    database = await fresh_database("first_quarter")
    await asyncio.to_thread(upgrade, database.owner)
    engine = create_engine(database.app, pool_size=2, max_overflow=0)
    try:
        demo = await load_demo(session_factory(engine), today=date(2027, 5, 10))  # FY2027-Q1
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(asyncpg_dsn(database.admin))
    try:
        states = dict(await conn.fetch("SELECT name, state FROM cycles WHERE org_id = $1", demo.organisation_id))
        assert (states["FY2027"], states["FY2027-Q1"], states["FY2027-Q2"]) == ("active", "active", "planning")
        assert states["FY2026-Q4"] == "closed"
        await _assert_closed_with_data(conn, demo.organisation_id, "FY2026-Q4")
        # Its check-ins end with it, and nothing is recorded after the demo's today.
        last = await conn.fetchval("SELECT max(created_at) FROM check_ins WHERE org_id = $1", demo.organisation_id)
        assert last.date() < date(2027, 5, 10)
    finally:
        await conn.close()
