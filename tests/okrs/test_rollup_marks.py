"""Check-ins roll up after their commit: marks written with the check-in, drained before the answer, swept when
the process that wrote them died before its drain (okrs/drains.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import TextClause, text
from tests.support import FixedClock, Tenant, as_app, create, okr_setup, waiting_for_locks

from sightline.auth import Principal
from sightline.db import after_commit
from sightline.db.migrate import alembic_config, upgrade
from sightline.db.rows import positional
from sightline.db.tenancy import set_tenant
from sightline.db.urls import asyncpg_dsn
from sightline.okrs import drains, rollups
from sightline.okrs.check_ins import create_check_in
from sightline.okrs.objectives import get_objective
from sightline.okrs.schemas import CheckInCreate
from sightline.worker import run_rollup_sweep


async def _chain(tenant: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    """A company objective rolling up a team objective with one key result (target 100); (company, key result)."""
    okr = await okr_setup(tenant.client)
    top = okr.objective
    etag = (await tenant.client.get(f"/api/v1/objectives/{top['id']}")).headers["etag"]
    patched = await tenant.client.patch(
        f"/api/v1/objectives/{top['id']}", json={"progress_from": "children"}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    team = await create(
        tenant.client, "/api/v1/objectives", {"cycle_id": okr.cycle["id"], "title": "Team", "level": "company"}
    )
    link = {"child_objective_id": team["id"], "parent_objective_id": top["id"]}
    assert (await tenant.client.post("/api/v1/alignments", json=link)).status_code == 201
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": team["id"], "title": "Leads", "target_value": 100}
    )
    return top, kr


async def _marks(connection: asyncpg.Connection, tenant: Tenant) -> int:
    return int(
        await connection.fetchval("SELECT count(*) FROM rollup_pending WHERE org_id = $1", uuid.UUID(tenant.org_id))
    )


async def _progress(tenant: Tenant, objective: dict[str, Any]) -> float | None:
    return (await tenant.client.get(f"/api/v1/objectives/{objective['id']}")).json()["progress"]


async def test_concurrent_check_ins_are_in_every_ancestor_when_answered_and_leave_no_mark(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    top, kr = await _chain(tenant)
    values = list(range(1, 21))
    answers = await asyncio.gather(
        *(tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], "value": v}) for v in values)
    )
    assert [a.status_code for a in answers] == [201] * len(values)
    # Whichever check-in is the key result's newest, the company objective two levels up shows it.
    current = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["current_value"]
    assert current in values
    assert await _progress(tenant, top) == pytest.approx(current / 100, abs=1e-12)
    assert await _marks(owner_connection, tenant) == 0
    # One answer, read at once: the check-in's drain ran before it was sent.
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 77})
    assert await _progress(tenant, top) == pytest.approx(0.77, abs=1e-12)


async def _check_in_without_drain(
    app: FastAPI, tenant: Tenant, kr: dict[str, Any], value: float, clock: FixedClock
) -> None:
    """A check-in committed by a process that died before its drain: the transaction commits, its follow-up
    never runs."""
    principal = Principal(
        org_id=uuid.UUID(tenant.org_id),
        scopes=frozenset({"read", "write"}),
        user_id=uuid.UUID(tenant.owner_id),
        role="owner",
    )
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, principal.org_id)
        body = CheckInCreate(key_result_id=uuid.UUID(kr["id"]), value=value)
        await create_check_in(session, principal=principal, body=body, now=clock.now)
    after_commit.discard(session)  # what dying after the commit leaves: the marks, and no drain


async def test_marks_left_behind_are_swept_once_old_enough(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-02T09:00:00+00:00")
    top, kr = await _chain(tenant)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 20})
    await _check_in_without_drain(app, tenant, kr, 60, clock)
    assert await _marks(owner_connection, tenant) == 1
    assert await _progress(tenant, top) == pytest.approx(0.2, abs=1e-12)  # the stored roll-up, not yet moved
    factory = app.state.session_factory
    # Young marks belong to drains about to run: the sweep leaves them.
    assert await drains.sweep(factory, now=clock.now + drains.SWEEP_AFTER - timedelta(seconds=1)) == 0
    assert await _marks(owner_connection, tenant) == 1
    assert await drains.sweep(factory, now=clock.now + drains.SWEEP_AFTER + timedelta(seconds=1)) == 1
    assert await _marks(owner_connection, tenant) == 0
    assert await _progress(tenant, top) == pytest.approx(0.6, abs=1e-12)


async def test_the_jobs_sweep_drains_marks_and_the_next_check_in_takes_the_others(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-02T09:00:00+00:00")
    top, kr = await _chain(tenant)
    await _check_in_without_drain(app, tenant, kr, 30, clock)
    # The next check-in's drain takes every mark of the organisation, its own and the one left behind.
    other = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": kr["objective_id"], "title": "MQLs", "target_value": 10}
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": other["id"], "value": 5})
    assert await _marks(owner_connection, tenant) == 0
    assert await _progress(tenant, top) == pytest.approx((0.3 + 0.5) / 2, abs=1e-12)

    await _check_in_without_drain(app, tenant, kr, 90, clock)
    stop = asyncio.Event()
    later = clock.now + drains.SWEEP_AFTER + timedelta(seconds=1)
    job = asyncio.create_task(run_rollup_sweep(app.state.session_factory, stop=stop, clock=lambda: later))
    try:
        for _ in range(100):
            if await _marks(owner_connection, tenant) == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await job
    assert await _marks(owner_connection, tenant) == 0
    assert await _progress(tenant, top) == pytest.approx((0.9 + 0.5) / 2, abs=1e-12)


async def _free(connection: asyncpg.Connection, objective_id: uuid.UUID) -> bool:
    """Whether another transaction could lock the objective's row now."""
    try:
        await connection.fetch("SELECT id FROM objectives WHERE id = $1 FOR NO KEY UPDATE NOWAIT", objective_id)
    except asyncpg.LockNotAvailableError:
        return False
    return True


async def test_a_swap_that_loses_a_row_holds_the_whole_chain_before_it_computes_again(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection, monkeypatch: Any
) -> None:
    """Locks in one order: a refresh whose swap lost a row to another refresh already holds every row of its chain
    when it computes again. Locking only the rows still current, its second swap locked the lost (lower) id
    after holding a higher one: a deadlock with a drain locking the same chain in id order (seen in the
    property test)."""
    top, kr = await _chain(tenant)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 40})
    org_id = uuid.UUID(tenant.org_id)
    chain = sorted([uuid.UUID(top["id"]), uuid.UUID(kr["objective_id"])])
    compute, rounds, free = rollups._compute, 0, []

    async def computing(session: Any, org: uuid.UUID, rows: list[Any], now: Any) -> Any:
        nonlocal rounds
        rounds += 1
        if rounds == 1:  # another refresh writes the lowest row of the chain after this one read it
            await owner_connection.execute(
                "UPDATE objectives SET rollup_version = rollup_version + 1 WHERE id = $1", chain[0]
            )
        else:
            free.extend([objective_id for objective_id in chain if await _free(owner_connection, objective_id)])
        return await compute(session, org, rows, now)

    monkeypatch.setattr(rollups, "_compute", computing)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org_id)
        await rollups.refresh(session, org_id=org_id, objective_ids=[chain[1], chain[0]], now=clock.now, actor="t")
    assert rounds == 2
    assert free == []
    assert await _progress(tenant, top) == pytest.approx(0.4, abs=1e-12)


async def test_an_edit_that_locked_its_chain_takes_its_objective_without_queueing_behind_a_refresh(
    app: FastAPI, tenant: Tenant, admin_database_url: str
) -> None:
    """An objective's edit locks its chain (`rollups.lock`), then loads the objective locked. While a check-in's
    foreign key shares the row and a refresh waits for it, a stronger lock than the chain's (FOR UPDATE) had to
    queue behind that refresh, which waited for the edit: a deadlock."""
    _, kr = await _chain(tenant)
    org_id, objective_id = uuid.UUID(tenant.org_id), uuid.UUID(kr["objective_id"])
    dsn = asyncpg_dsn(admin_database_url)
    check_in, refresh = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await check_in.execute("BEGIN")  # what a check-in's roll-up mark takes on its objective, until it commits
        await check_in.execute("SELECT 1 FROM objectives WHERE id = $1 FOR KEY SHARE", objective_id)
        async with app.state.session_factory() as session, session.begin():
            await set_tenant(session, org_id)
            await rollups.lock(session, org_id=org_id, objective_ids=[objective_id])
            await refresh.execute("BEGIN")
            waiting = asyncio.create_task(
                refresh.execute("SELECT 1 FROM objectives WHERE id = $1 FOR NO KEY UPDATE", objective_id)
            )
            await waiting_for_locks(check_in, like="SELECT 1 FROM objectives WHERE id = $1 FOR NO KEY UPDATE")
            edited = await asyncio.wait_for(
                get_objective(session, org_id=org_id, objective_id=objective_id, lock=True), timeout=5
            )
            assert edited.id == objective_id
        await waiting  # the edit committed: the refresh has the row
    finally:
        await check_in.close()
        await refresh.close()


async def test_a_drain_that_collides_runs_again_before_the_check_in_answers(
    tenant: Tenant, owner_connection: asyncpg.Connection, monkeypatch: Any
) -> None:
    top, kr = await _chain(tenant)
    drain, collisions = drains.drain, []

    async def colliding(session: Any, *, org_id: uuid.UUID, now: Any) -> int:
        if not collisions:  # PostgreSQL's own deadlock error, in the drain's transaction
            collisions.append(org_id)
            await session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$"))
        return await drain(session, org_id=org_id, now=now)

    monkeypatch.setattr(drains, "drain", colliding)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 30})
    assert collisions == [uuid.UUID(tenant.org_id)]
    assert await _progress(tenant, top) == pytest.approx(0.3, abs=1e-12)  # read at once: the second drain ran
    assert await _marks(owner_connection, tenant) == 0


async def test_a_failed_follow_up_leaves_the_commit_and_a_rollback_drops_it(app: FastAPI, tenant: Tenant) -> None:
    factory = app.state.session_factory
    ran: list[str] = []

    async def failing(session: Any) -> None:
        await session.execute(text("SELECT 1"))
        raise RuntimeError("the follow-up fails")

    def noting(name: str) -> Any:
        async def hook(session: Any) -> None:
            ran.append(name)

        return hook

    async with after_commit.transaction(factory) as session:
        after_commit.defer(session, "fails", lambda: failing)
        after_commit.defer(session, "runs", lambda: noting("after the failure"))
        await set_tenant(session, uuid.UUID(tenant.org_id))
    assert ran == ["after the failure"]  # the failure was logged; the next follow-up still ran

    async def failing_write() -> None:
        async with after_commit.transaction(factory) as session:
            after_commit.defer(session, "dropped", lambda: noting("after a rollback"))
            raise RuntimeError("the write fails")

    with pytest.raises(RuntimeError, match="the write fails"):
        await failing_write()
    assert ran == ["after the failure"]


async def test_the_marks_queue_is_vacuumed_by_a_fixed_threshold(
    owner_connection: asyncpg.Connection, owner_database_url: str
) -> None:
    """Migration 0080: autovacuum comes round after a thousand deleted marks, whatever the table's size."""
    options = "SELECT reloptions FROM pg_class WHERE relname = 'rollup_pending'"
    expected = {
        "autovacuum_vacuum_threshold=1000",
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_cost_delay=0",
    }
    assert set(await owner_connection.fetchval(options) or ()) == expected

    def down_and_up() -> None:
        command.downgrade(alembic_config(owner_database_url), "0079")
        try:
            assert asyncio.run(_options(owner_database_url)) == set()
        finally:
            upgrade(owner_database_url)

    await asyncio.to_thread(down_and_up)
    assert set(await owner_connection.fetchval(options) or ()) == expected


async def _options(owner_database_url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    try:
        return set(await connection.fetchval("SELECT reloptions FROM pg_class WHERE relname = 'rollup_pending'") or ())
    finally:
        await connection.close()


def _asyncpg(statement: TextClause, **values: Any) -> tuple[Any, ...]:
    """A statement written with `:name` parameters as asyncpg takes it: the text with `$n`, then the values."""
    sql, names = positional(statement.text)
    return (sql, *(values[name] for name in names))


def _scans(plan: dict[str, Any]) -> set[tuple[str, str]]:
    """(node type, table) of every scan in a plan tree."""
    found = {(plan["Node Type"], plan["Relation Name"])} if "Relation Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _scans(child)
    return found


async def test_the_drains_climb_and_children_probe_indexes_in_a_large_organisation(
    tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    """In an organisation of 1,000 objectives (a tree three wide), the climb from a leaf and the read of the
    links below 40 objectives (what a drain of a few check-ins sends) find each row by an index, not by hashing
    every link and objective of the organisation on each level (as PostgreSQL chose for the plain joins: 1.3 ms
    of a drain's 5)."""
    okr = await okr_setup(tenant.client)
    org_id, root = uuid.UUID(tenant.org_id), uuid.UUID(okr.objective["id"])
    ids = [root] + [uuid.uuid4() for _ in range(999)]
    await owner_connection.execute(
        """INSERT INTO objectives
           SELECT (jsonb_populate_record(o, jsonb_build_object('id', n.id))).*
           FROM objectives o, unnest($3::uuid[]) AS n(id) WHERE o.org_id = $1 AND o.id = $2""",
        org_id,
        root,
        ids[1:],
    )
    await owner_connection.execute(
        """INSERT INTO alignments (org_id, id, child_objective_id, parent_objective_id, parent_node_id, kind,
                                   weight, actor)
           SELECT $1, gen_random_uuid(), c.id, p.id, p.id, 'cascade', 1, 'test'
           FROM unnest($2::uuid[]) WITH ORDINALITY AS c(id, n)
           JOIN unnest($2::uuid[]) WITH ORDINALITY AS p(id, n) ON p.n = (c.n - 2) / 3 + 1
           WHERE c.n > 1""",
        org_id,
        ids,
    )
    await owner_connection.execute("ANALYZE objectives; ANALYZE alignments")
    async with as_app(database_url, tenant.org_id) as connection:
        climb = _asyncpg(rollups.climb_statement([ids[-1]]), org=org_id, ids=[ids[-1]])
        chain = await connection.fetch(*climb)
        plans = {}
        for name, (sql, *args) in (
            ("climb", climb),
            ("children", _asyncpg(rollups.children_statement(ids[:40]), org=org_id, ids=ids[:40])),
        ):
            explained = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
            plans[name] = _scans(json.loads(explained)[0]["Plan"])
    assert len(chain) == 7  # the leaf and its six ancestors: the climb still reaches the root
    for name, scans in plans.items():
        tables = {table for _, table in scans}
        assert {"objectives", "alignments"} <= tables, (name, scans)
        assert not {scan for scan in scans if scan[0] == "Seq Scan"}, (name, scans)
