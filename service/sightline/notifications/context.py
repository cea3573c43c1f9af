"""The settings a producer renders mail with (links, the unsubscribe key). A producer runs inside `emit`, with
only a session: a request binds its application's settings here; outside a request (the worker) they are the
process's own."""

from __future__ import annotations

from contextvars import ContextVar

from sightline.config import Settings, get_settings

_bound: ContextVar[Settings | None] = ContextVar("sightline_notification_settings", default=None)


def bind(settings: Settings) -> None:
    _bound.set(settings)


def current_settings() -> Settings:
    return _bound.get() or get_settings()
