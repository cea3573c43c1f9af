"""Stored objective roll-ups: computed by `scoring.py`'s rules (through `derive.rollup`) when something below
an objective changes, in the same transaction, and read as they are.

The time-dependent parts (expected progress, and the status that follows from it) are as of `rollup_at`. A
read uses them while they are younger than the scheduled pass's interval (the pass refreshes them, as it does
key-result statuses); an older or missing roll-up is computed at read time instead (and not stored by a read).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sightline.okrs.derive import Rollup
from sightline.scoring import Status


def is_fresh(rollup_at: datetime | None, now: datetime, window_seconds: float) -> bool:
    """Whether a roll-up stored at `rollup_at` may be shown at `now` (never one from the future)."""
    return rollup_at is not None and rollup_at <= now < rollup_at + timedelta(seconds=window_seconds)


def stored(objective: Any) -> Rollup:
    """The roll-up kept on an objective row (model or Core row)."""
    return Rollup(
        progress=objective.rollup_progress,
        expected_progress=objective.rollup_expected_progress,
        score=objective.rollup_score,
        status=Status(objective.rollup_status),
    )
