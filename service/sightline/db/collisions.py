"""PostgreSQL's collisions: a transaction rolled back for a serialisation failure or a deadlock wrote nothing,
so running it again is safe (the API's retry middleware does for requests, the roll-up drain for itself)."""

from __future__ import annotations

import asyncio
import random

COLLISIONS = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE behind a driver error, as SQLAlchemy wraps it (its `orig`, or the asyncpg error it chains)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return None if code is None else str(code)


def collided(exc: BaseException) -> bool:
    return sqlstate(exc) in COLLISIONS


async def pause(attempt: int) -> None:
    """A short random pause before trying again, growing with each attempt, so the colliders do not meet again."""
    await asyncio.sleep(random.uniform(0.005, 0.03) * attempt)
