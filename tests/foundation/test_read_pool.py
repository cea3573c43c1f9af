"""The read pool (db/read_pool.py): bounded, fair to waiters, and never reuses a connection in doubt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from sightline.db.read_pool import ReadPool
from sightline.db.urls import asyncpg_dsn

PID = "SELECT pg_backend_pid() AS pid"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[ReadPool]:
    opened = ReadPool(asyncpg_dsn(database_url), max_size=2, server_settings={"application_name": "read-pool-test"})
    yield opened
    await opened.close()


async def _pid(pool: ReadPool) -> int:
    row = await pool.fetchrow(PID)
    assert row is not None
    return int(row["pid"])


async def test_at_most_max_size_connections_and_everyone_is_served(pool: ReadPool) -> None:
    rows = await asyncio.gather(*(pool.fetchrow("SELECT pg_backend_pid() AS pid, pg_sleep(0.02)") for _ in range(12)))
    assert len({row["pid"] for row in rows if row is not None}) == 2
    assert pool.size == 2
    assert await _pid(pool) in {row["pid"] for row in rows if row is not None}  # reused, not reopened


async def test_a_refused_statement_keeps_its_connection(pool: ReadPool) -> None:
    pid = await _pid(pool)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await pool.fetchrow("SELECT 1 / 0")
    assert await _pid(pool) == pid and pool.size == 1


async def test_an_interrupted_statement_closes_its_connection(pool: ReadPool) -> None:
    pid = await _pid(pool)
    slow = asyncio.create_task(pool.fetchrow("SELECT pg_sleep(2)"))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert pool.size == 0  # discarded, not handed to the next caller mid-statement
    assert await _pid(pool) != pid


async def test_a_connection_the_server_ended_is_replaced(pool: ReadPool, owner_connection: asyncpg.Connection) -> None:
    pid = await _pid(pool)
    assert await owner_connection.fetchval("SELECT pg_terminate_backend($1)", pid)
    await asyncio.sleep(0.2)
    # Ended while idle: seen as closed and replaced; or seen only when used, then that one call fails.
    try:
        replaced = await _pid(pool)
    except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError):
        replaced = await _pid(pool)
    assert replaced != pid and pool.size == 1


async def test_a_waiter_that_gives_up_leaves_nothing_behind(pool: ReadPool) -> None:
    busy = [asyncio.create_task(pool.fetchrow("SELECT pg_sleep(0.3)")) for _ in range(2)]
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(pool.fetchrow(PID))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.gather(*busy)
    assert pool.size == 2
    pids = await asyncio.gather(*(_pid(pool) for _ in range(4)))
    assert len(set(pids)) <= 2 and pool.size == 2


async def test_a_closed_pool_refuses(pool: ReadPool) -> None:
    await _pid(pool)
    await pool.close()
    with pytest.raises(asyncpg.InterfaceError):
        await pool.fetchrow(PID)
