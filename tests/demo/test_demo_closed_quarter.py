"""Issue 15, point 17: the demo's first quarter is closed with data — objectives, check-ins, grades, retrospective."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi import FastAPI
from tests.demo.test_demo import TODAY

from sightline.demo import DemoCredentials, load_demo


@pytest.fixture(scope="module")
async def demo(app: FastAPI) -> DemoCredentials:
    return await load_demo(app.state.session_factory, today=TODAY)


async def test_the_first_quarter_is_closed_with_objectives_check_ins_and_a_retrospective(
    demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    org = demo.organisation_id
    q1 = await owner_connection.fetchrow("SELECT id, state FROM cycles WHERE org_id = $1 AND name = 'FY2026-Q1'", org)
    assert q1 is not None and q1["state"] == "closed"
    objectives = await owner_connection.fetch(
        "SELECT id, state FROM objectives WHERE org_id = $1 AND cycle_id = $2", org, q1["id"]
    )
    assert len(objectives) >= 1
    assert {o["state"] for o in objectives} == {"closed"}
    check_ins = await owner_connection.fetchval(
        """SELECT count(*) FROM check_ins c JOIN key_results k ON k.org_id = c.org_id AND k.id = c.key_result_id
           JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
           WHERE c.org_id = $1 AND o.cycle_id = $2""",
        org,
        q1["id"],
    )
    assert check_ins >= 10
    retrospective = await owner_connection.fetchval(
        "SELECT count(*) FROM retrospectives WHERE org_id = $1 AND cycle_id = $2", org, q1["id"]
    )
    assert retrospective == 1
