"""Work a transaction leaves for right after its commit, in a transaction of its own on the same session.

A write whose follow-up would hold hot rows (the ancestors' roll-ups above a check-in) registers that
follow-up here; whoever commits the session (the request's `get_db`, a job's `transaction`) runs it before the
answer goes out. The follow-up must be safe to lose: what it does is also recorded durably by the write (a
sweep redoes it), so a failure is logged and the acknowledged write stands.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Hook = Callable[[AsyncSession], Awaitable[None]]
_KEY = "after_commit"
log = structlog.get_logger("sightline.after_commit")


H = TypeVar("H", bound=Hook)


def defer(session: AsyncSession, key: str, make: Callable[[], H]) -> H:
    """The hook registered under `key` for after this transaction's commit: the one already there (a write
    adds to it), else a new one from `make`."""
    hooks: dict[str, Hook] = session.info.setdefault(_KEY, {})
    if key not in hooks:
        hooks[key] = make()
    return hooks[key]  # type: ignore[return-value]


def discard(session: AsyncSession) -> None:
    """Forget what was registered (the transaction rolled back: there is nothing to follow up)."""
    session.info.pop(_KEY, None)


async def run(session: AsyncSession) -> None:
    """Run what the committed transaction registered, each hook in its own transaction."""
    hooks: dict[str, Hook] = session.info.pop(_KEY, {})
    for key, hook in hooks.items():
        try:
            async with session.begin():
                await hook(session)
        except Exception:  # the write is committed and its sweep will redo this: never fail the answer for it
            log.exception("after_commit_failed", hook=key)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in one transaction, committed on leaving (rolled back on an error), then its follow-ups run."""
    async with factory() as session:
        try:
            async with session.begin():
                yield session
        except BaseException:
            discard(session)
            raise
        await run(session)
