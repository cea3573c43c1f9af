"""Request dependencies: the one transaction per request, the request's clock, the session factory.

Who is asking (the credential and the permission dependencies) is `sightline.identity.credentials`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time

SESSION_COOKIE = "sightline_session"


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    async with request.app.state.session_factory() as session, session.begin():
        yield session


# scope="function": commit before the response is sent, so nothing is acknowledged and then lost.
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


async def utcnow() -> datetime:
    """The request's clock (tests override this dependency). Async: a sync dependency costs a thread hop."""
    return current_time()


Clock = Annotated[datetime, Depends(utcnow)]


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """For work that outlives the request's transaction, such as a streamed response body."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


SessionFactory = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]
