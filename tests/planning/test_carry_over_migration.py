"""Migration 0076 goes down and up again: the carry-over columns, their foreign keys and the check go and come back."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import command

from sightline.db.migrate import alembic_config, upgrade

COLUMNS = """
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND column_name IN ('carried_from', 'accumulation') ORDER BY 1, 2
"""
CARRIED = [("key_results", "accumulation"), ("key_results", "carried_from"), ("objectives", "carried_from")]


async def test_0076_downgrades_and_upgrades(owner_connection: asyncpg.Connection, owner_database_url: str) -> None:
    def down() -> None:
        command.downgrade(alembic_config(owner_database_url), "0075")

    await asyncio.to_thread(down)
    try:
        assert [tuple(r) for r in await owner_connection.fetch(COLUMNS)] == []
    finally:
        await asyncio.to_thread(upgrade, owner_database_url)
    assert [tuple(r) for r in await owner_connection.fetch(COLUMNS)] == CARRIED
    constraints = await owner_connection.fetch(
        # Checks and foreign keys only: PostgreSQL 18 lists NOT NULL constraints here too (`…_not_null`).
        "SELECT conname FROM pg_constraint WHERE contype IN ('c', 'f') "
        "AND (conname LIKE '%carried_from_fkey' OR conname LIKE '%accumulation%')"
    )
    assert sorted(r["conname"] for r in constraints) == [
        "key_results_accumulation_check",
        "key_results_carried_from_fkey",
        "objectives_carried_from_fkey",
    ]
