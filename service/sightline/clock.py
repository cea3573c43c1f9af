"""The service's clock: one function every layer reads the time from (requests read it through `Clock`)."""

from __future__ import annotations

from datetime import UTC, datetime


def current_time() -> datetime:
    return datetime.now(UTC)
