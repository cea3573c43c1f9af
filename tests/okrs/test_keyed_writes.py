"""A keyed POST /check-ins (the web client always sends an Idempotency-Key): claim, work and stored response in
one transaction on one connection, a bounded number of statements whatever the organisation's size, replays,
and concurrent duplicates that act once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from fastapi import FastAPI
from sqlalchemy import event
from tests.support import Tenant, create, okr_setup

from sightline.http.idempotency import HEADER

CHECK_INS = "/api/v1/check-ins"


class Wire:
    """What the app's two engines (the request pool and the side pool) send and do while active."""

    def __init__(self, app: FastAPI) -> None:
        self.engines = [app.state.engine.sync_engine, app.state.side_session_factory.kw["bind"].sync_engine]
        self.statements: list[str] = []
        self.begins = self.commits = self.rollbacks = self.checkouts = 0
        self._listeners: list[tuple[Any, str, Any]] = []

    def _count(self, name: str) -> Any:
        def listener(*args: Any) -> None:
            setattr(self, name, getattr(self, name) + 1)

        return listener

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    @property
    def round_trips(self) -> int:
        return len(self.statements) + self.begins + self.commits + self.rollbacks

    def __enter__(self) -> Wire:
        for engine in self.engines:
            self._listeners += [
                (engine, "before_cursor_execute", self._statement),
                (engine, "begin", self._count("begins")),
                (engine, "commit", self._count("commits")),
                (engine, "rollback", self._count("rollbacks")),
                (engine.pool, "checkout", self._count("checkouts")),
            ]
        for target, name, listener in self._listeners:
            event.listen(target, name, listener)
        return self

    def __exit__(self, *exc: object) -> None:
        for target, name, listener in self._listeners:
            event.remove(target, name, listener)


async def _key_result(tenant: Tenant) -> dict[str, Any]:
    okr = await okr_setup(tenant.client)
    return await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )


async def _keyed(tenant: Tenant, body: dict[str, Any], key: str) -> Any:
    return await tenant.client.post(CHECK_INS, json=body, headers={HEADER: key})


async def test_a_keyed_check_in_writes_in_one_transaction_and_rolls_up_after_its_commit(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    kr = await _key_result(tenant)
    await _keyed(tenant, {"key_result_id": kr["id"], "value": 1}, f"warm-{uuid.uuid4()}")  # statements prepared
    key = f"one-{uuid.uuid4()}"
    with Wire(app) as wire:
        response = await _keyed(tenant, {"key_result_id": kr["id"], "value": 40}, key)
    assert response.status_code == 201, response.text
    # The write in one transaction on one connection; then, after its commit and before the answer, the roll-ups
    # of the objectives above in a second one (okrs/rollups.py `later`), on a connection checked out again.
    assert (wire.checkouts, wire.begins, wire.commits, wire.rollbacks) == (2, 2, 2, 0)
    # PostgreSQL's own account: the key with its response, the check-in, its event and the key result's new
    # value were all written by one transaction.
    org, check_in = uuid.UUID(tenant.org_id), uuid.UUID(response.json()["id"])
    written = await owner_connection.fetchrow(
        """SELECT (SELECT xmin::text FROM idempotency_keys WHERE org_id = $1 AND key = $2) AS key,
                  (SELECT xmin::text FROM check_ins WHERE org_id = $1 AND id = $3) AS check_in,
                  (SELECT xmin::text FROM events WHERE org_id = $1 AND object_id = $3) AS event,
                  (SELECT xmin::text FROM key_results WHERE org_id = $1 AND id = $4) AS key_result""",
        org,
        key,
        check_in,
        uuid.UUID(kr["id"]),
    )
    assert None not in written.values() and len(set(written.values())) == 1, dict(written)
    stored = await owner_connection.fetchrow(
        "SELECT state, response_status, response_body FROM idempotency_keys WHERE org_id = $1 AND key = $2", org, key
    )
    assert (stored["state"], stored["response_status"], bytes(stored["response_body"])) == (
        "done",
        201,
        response.content,
    )


async def _bigger(tenant: Tenant, owner_connection: asyncpg.Connection) -> dict[str, Any]:
    """A key result in an organisation with 300 more objectives, 900 more key results and a long history."""
    kr = await _key_result(tenant)
    cycle_id = (await tenant.client.get(f"/api/v1/objectives/{kr['objective_id']}")).json()["cycle_id"]
    org, owner = uuid.UUID(tenant.org_id), uuid.UUID(tenant.owner_id)
    await owner_connection.execute(
        """WITH o AS (
             INSERT INTO objectives (org_id, id, cycle_id, title, level, owner_id)
             SELECT $1, gen_random_uuid(), $2, 'Objective ' || n, 'company', $3 FROM generate_series(1, 300) n
             RETURNING id)
           INSERT INTO key_results (org_id, id, objective_id, title, owner_id, metric, direction, start_value,
                                    target_value, cadence, current_value)
           SELECT $1, gen_random_uuid(), o.id, 'KR ' || k, $3, 'number', 'increase', 0, 100, 'weekly', 0
           FROM o, generate_series(1, 3) k""",
        org,
        uuid.UUID(cycle_id),
        owner,
    )
    for value in range(1, 41):  # a history, through the API: check-ins, events, derived fields as usual
        await _keyed(tenant, {"key_result_id": kr["id"], "value": value}, f"history-{uuid.uuid4()}")
    return kr


async def _measured(app: FastAPI, tenant: Tenant, kr: dict[str, Any]) -> Wire:
    await _keyed(tenant, {"key_result_id": kr["id"], "value": 2}, f"warm-{uuid.uuid4()}")
    with Wire(app) as wire:
        response = await _keyed(tenant, {"key_result_id": kr["id"], "value": 50}, f"measured-{uuid.uuid4()}")
    assert response.status_code == 201, response.text
    return wire


async def test_a_keyed_check_in_costs_the_same_few_statements_in_a_tiny_and_a_bigger_organisation(
    app: FastAPI, signup: Any, owner_connection: asyncpg.Connection
) -> None:
    tiny_tenant, bigger_tenant = await signup("Tiny"), await signup("Bigger")
    tiny = await _measured(app, tiny_tenant, await _key_result(tiny_tenant))
    bigger = await _measured(app, bigger_tenant, await _bigger(bigger_tenant, owner_connection))
    assert len(tiny.statements) == len(bigger.statements), (tiny.statements, bigger.statements)
    assert tiny.round_trips == bigger.round_trips
    # The credential, the claim, the lock, the check-in with its key result and roll-up mark, the events with
    # their deliveries, the kept response: 6; the drain of the roll-ups above after the commit (okrs/drains.py)
    # takes 8 (tenant and lock, the marks, the links' lock, the climb, key results, calendars, the chain's lock,
    # the write).
    assert len(tiny.statements) <= 14, tiny.statements
    assert sum("INSERT INTO rollup_pending" in s and "INSERT INTO check_ins" in s for s in tiny.statements) == 1
    assert sum("INSERT INTO events" in s and "INSERT INTO webhook_deliveries" in s for s in tiny.statements) == 1
    assert sum("idempotency_keys" in s for s in tiny.statements) == 2  # the claim and the kept response
    assert sum(s.startswith(("UPDATE key_results", "INSERT INTO check_ins")) for s in tiny.statements) == 0
    assert sum("INSERT INTO check_ins" in s and "UPDATE key_results" in s for s in tiny.statements) == 1


async def test_a_replay_answers_the_first_response_and_writes_nothing(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    kr = await _key_result(tenant)
    body, key = {"key_result_id": kr["id"], "value": 40, "note": "pipeline review"}, f"replay-{uuid.uuid4()}"
    first = await _keyed(tenant, body, key)
    with Wire(app) as wire:
        again = await _keyed(tenant, body, key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert len(wire.statements) == 2  # the credential and the claim, which finds the answer
    assert wire.commits == 0
    count = await owner_connection.fetchval(
        "SELECT count(*) FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"])
    )
    assert count == 1


# The sessions waiting behind this transaction: on a lock it holds, or behind a session that waits on it.
BEHIND_THIS_TRANSACTION = """
WITH RECURSIVE behind(pid) AS (
    SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
    UNION
    SELECT a.pid FROM pg_stat_activity a JOIN behind b ON b.pid = ANY(pg_blocking_pids(a.pid))
)
SELECT count(*) FROM behind
"""


async def _until_waiting(owner_connection: asyncpg.Connection, count: int) -> None:
    for _ in range(500):
        await owner_connection.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view inside the transaction
        if await owner_connection.fetchval(BEHIND_THIS_TRANSACTION) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} requests waiting")


async def test_two_concurrent_identical_keyed_check_ins_act_once_and_answer_alike(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    kr = await _key_result(tenant)
    body, key = {"key_result_id": kr["id"], "value": 40}, f"twice-{uuid.uuid4()}"
    async with owner_connection.transaction():
        # Hold the key result: the first request claims the key and waits here; the second waits on the first.
        await owner_connection.execute("SELECT 1 FROM key_results WHERE id = $1 FOR UPDATE", uuid.UUID(kr["id"]))
        first = asyncio.create_task(_keyed(tenant, body, key))
        await _until_waiting(owner_connection, 1)
        second = asyncio.create_task(_keyed(tenant, body, key))
        await _until_waiting(owner_connection, 2)
    answers = [await first, await second]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert ["idempotent-replayed" in a.headers for a in answers] == [False, True]
    rows = await owner_connection.fetch("SELECT id, value FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"]))
    assert [(str(r["id"]), r["value"]) for r in rows] == [(answers[0].json()["id"], 40)]
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert read["current_value"] == 40
