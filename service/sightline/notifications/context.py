"""The settings a producer renders mail with (links, the unsubscribe key). A producer runs inside `emit`, with
only a session: a request's session carries its application's settings in `session.info` (http/deps.py
`get_db`); outside a request (the worker) they are the process's own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.config import SESSION_SETTINGS, Settings, get_settings


def current_settings(session: AsyncSession) -> Settings:
    settings = session.info.get(SESSION_SETTINGS)
    return settings if isinstance(settings, Settings) else get_settings()
