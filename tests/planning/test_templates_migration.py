"""Migration 0077 goes down and up again: the templates table, its row-level security and foreign keys come back."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import command

from sightline.db.migrate import alembic_config, upgrade

TABLE = """
    SELECT c.relrowsecurity, c.relforcerowsecurity,
           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
           (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f') AS foreign_keys
    FROM pg_class c WHERE c.relname = 'objective_templates'
"""


async def test_0077_downgrades_and_upgrades(owner_connection: asyncpg.Connection, owner_database_url: str) -> None:
    def down() -> None:
        command.downgrade(alembic_config(owner_database_url), "0076")

    await asyncio.to_thread(down)
    try:
        assert await owner_connection.fetch(TABLE) == []
        assert await owner_connection.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'carried_from'"
        )  # 0076 is still there
    finally:
        await asyncio.to_thread(upgrade, owner_database_url)
    row = await owner_connection.fetchrow(TABLE)
    assert row is not None
    # RLS forced with its policy; the org, the objective it was saved from and the member who saved it.
    assert tuple(row) == (True, True, 1, 3)
