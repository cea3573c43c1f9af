"""The connections of the one-statement reads (docs/decisions/api-fast-reads.md): plain asyncpg, from a free list.

asyncpg's `Pool` costs about 45 µs of CPU per acquire and release (its timeouts, holders and reset hooks): as
much as a third of a whole single read (docs/benchmarks.md). These reads need none of that: one statement each,
in autocommit, nothing set on the session beyond the statement. So a connection is opened when none is free (up
to `max_size`), a caller waits in line when all are busy, and a connection whose statement failed for any reason
other than PostgreSQL's own refusal — a lost connection, a cancelled request — is closed and never reused.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import asyncpg


class ReadPool:
    def __init__(self, dsn: str, *, max_size: int, server_settings: dict[str, str] | None = None) -> None:
        self._dsn = dsn
        self._max_size = max_size
        self._server_settings = server_settings
        self._free: list[asyncpg.Connection] = []
        self._open = 0  # connections open or being opened
        # Callers waiting for a connection; None wakes one to open its own (a slot freed by a discard).
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closed = False

    @property
    def size(self) -> int:
        return self._open

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        connection = await self._acquire()
        try:
            row = await connection.fetchrow(query, *args)
        except asyncpg.PostgresError:
            self._release(connection)  # the server refused the statement; the connection is as it was
            raise
        except BaseException:
            self._discard(connection)
            raise
        self._release(connection)
        return row

    async def close(self) -> None:
        self._closed = True
        free, self._free = self._free, []
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        await asyncio.gather(*(connection.close() for connection in free), return_exceptions=True)

    async def _acquire(self) -> asyncpg.Connection:
        while True:
            if self._closed:
                raise asyncpg.InterfaceError("the read pool is closed")
            while self._free:
                connection = self._free.pop()
                if not connection.is_closed():
                    return connection
                self._open -= 1  # the server ended it while it was idle
            if self._open < self._max_size:
                return await self._connect()
            waiter: asyncio.Future[asyncpg.Connection | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                    self._release(waiter.result())  # handed over just as this caller gave up: pass it on
                raise
            if handed is not None:
                return handed
            # A slot was freed (a connection discarded): look again, and open one if it is still free.

    async def _connect(self) -> asyncpg.Connection:
        self._open += 1
        try:
            connection: asyncpg.Connection = await asyncpg.connect(self._dsn, server_settings=self._server_settings)
        except BaseException:
            self._open -= 1
            self._wake(None)
            raise
        return connection

    def _release(self, connection: asyncpg.Connection) -> None:
        if self._closed or connection.is_closed():
            self._discard(connection)
        elif not self._wake(connection):
            self._free.append(connection)

    def _discard(self, connection: asyncpg.Connection) -> None:
        connection.terminate()
        self._open -= 1
        if not self._closed:
            self._wake(None)

    def _wake(self, handed: asyncpg.Connection | None) -> bool:
        """Hand `handed` (or a free slot) to the first caller still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(handed)
                return True
        return False
