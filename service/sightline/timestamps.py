"""One form for every timestamp the API returns: UTC, written with `Z` (the organisation's days stay dates).

Rows and computations carry aware datetimes in whatever zone they were made in (the organisation's, for a
cycle's end or a mid-cycle moment); a response field typed `UtcDateTime` is always written in UTC, so a client
validating RFC 3339 with `Z` (zod's `datetime()`, for one) accepts every answer. The contract is unchanged
(`format: date-time`). A naive value, which the service never makes on purpose, is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, PlainSerializer(as_utc, return_type=datetime)]
