"""A database of its own for a demo test: the demo is loaded once per database, and these tests load their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import NamedTuple

import asyncpg
import pytest
from tests.support import claim_database_name, create_roles_exclusively, drop_database

from sightline.db.ddl import APP_ROLE
from sightline.db.roles import OWNER_ROLE, as_login
from sightline.db.urls import asyncpg_dsn, with_database


class Database(NamedTuple):
    """A new, empty database (no migrations applied yet): its URLs as the app role, the owner and the superuser."""

    app: str
    owner: str
    admin: str


FreshDatabase = Callable[[str], Awaitable[Database]]


@pytest.fixture
async def fresh_database(server_url: str, _claimed_database: str) -> AsyncIterator[FreshDatabase]:
    """Make databases next to this worker's (`<worker db>_<suffix>`, claimed like it), dropped after the test."""
    claim = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    made: list[str] = []

    async def make(suffix: str) -> Database:
        name = await claim_database_name(claim, f"{_claimed_database}_{suffix}")
        await drop_database(server_url, name)  # what a crashed run left under this name
        made.append(name)
        admin = with_database(server_url, name)
        app_url, owner_url = as_login(admin, APP_ROLE), as_login(admin, OWNER_ROLE)
        await create_roles_exclusively(admin, app_url, owner_url)
        return Database(app_url, owner_url, admin)

    try:
        yield make
        for name in made:
            await drop_database(server_url, name)
    finally:
        await claim.close()
