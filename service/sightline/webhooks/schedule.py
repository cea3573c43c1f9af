"""Retry rules, pure: when the next attempt is due, what a failure does to the endpoint.

Attempt n (1-based) that fails is followed by attempt n+1 after `schedule[n]` seconds ± 20 % jitter,
or later when a 429/503 answer asked for it with Retry-After; after the last one the delivery fails.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

JITTER = 0.2
# A Retry-After beyond this is taken as this: one answer must not park a delivery for weeks.
MAX_RETRY_AFTER = timedelta(hours=24)
HONOURS_RETRY_AFTER = frozenset({429, 503})
GONE = 410


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """Seconds (`120`) or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max(moment - now, timedelta(0)), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Next:
    """After a failed attempt: the time of the next one, or None when the schedule is used up."""

    at: datetime | None


def next_attempt(
    *,
    attempts: int,
    schedule: Sequence[float],
    attempted_at: datetime,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> Next:
    """When to try again after failed attempt number `attempts` (1-based)."""
    if attempts >= len(schedule):
        return Next(at=None)
    base = schedule[attempts]
    delay = timedelta(seconds=base * (rng or random).uniform(1 - JITTER, 1 + JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return Next(at=attempted_at + delay)


def failing_too_long(*, failing_since: datetime | None, now: datetime, disable_after: timedelta) -> bool:
    """True once every attempt to the endpoint has failed for `disable_after`."""
    return failing_since is not None and now - failing_since >= disable_after
