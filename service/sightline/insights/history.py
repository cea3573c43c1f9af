"""Plain records of key results and check-ins that the pure insight rules read (no I/O here).

The loaders turn rows into these; the rules (ambition, honesty, calibration, grades) never see a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sightline import scoring
from sightline.scoring import Direction, Metric

# The source of check-ins written by the CSV cycle import: a history migrated from a spreadsheet is
# recorded late by construction, so honesty does not read that as backdating. (Batch check-ins labelled
# `import` are ordinary late reports and do count.)
CSV_IMPORT_SOURCE = "csv_import"


@dataclass(frozen=True)
class KeyResultFacts:
    """A key result with what the insights need from its objective (team, kind) and its derived state."""

    id: UUID
    objective_id: UUID
    title: str
    owner_id: UUID
    team_id: UUID | None
    kind: str
    metric: Metric
    direction: Direction
    start: float
    target: float
    stretch: float | None
    previous: float | None
    weight: float
    current_value: float
    progress: float
    score: float
    status: str
    latest_confidence: int | None
    last_check_in_at: datetime | None
    # Where last cycle's step started, when not at `start`: a level carried over (its original's start).
    baseline: float | None = None

    @property
    def measured(self) -> bool:
        """Increase/decrease results measure a distance; milestones and thresholds are met or not."""
        return self.metric is not Metric.milestone and self.direction in (Direction.increase, Direction.decrease)

    @property
    def target_range(self) -> float:
        """|target − start|: the yardstick for "how big was that move" (0 for a degenerate result)."""
        return abs(self.target - self.start)

    def progress_of(self, value: float) -> float:
        return scoring.progress(
            metric=self.metric, direction=self.direction, start=self.start, target=self.target, current=value
        )

    def reached(self, value: float) -> bool:
        return self.progress_of(value) >= 1.0 - scoring.EPSILON


@dataclass(frozen=True)
class CheckInFacts:
    id: UUID
    key_result_id: UUID
    value: float
    confidence: int | None
    checked_in_at: datetime
    created_at: datetime
    seq: int
    backdated: bool
    corrects: UUID | None
    reason: str | None
    source: str


def effective(check_ins: Sequence[CheckInFacts]) -> list[CheckInFacts]:
    """The values that count, in reported order: every check-in no correction replaced.

    A correction carries the time of the check-in it corrects, so it takes that one's place in the line.
    Same rule as the key result's current value (docs/concepts.md).
    """
    corrected = {c.corrects for c in check_ins if c.corrects is not None}
    return sorted((c for c in check_ins if c.id not in corrected), key=lambda c: (c.checked_in_at, c.seq))


def first_hit_at(key_result: KeyResultFacts, check_ins: Sequence[CheckInFacts]) -> datetime | None:
    """When the reported values first reached the target (p ≥ 1), or None if they never did."""
    for check_in in effective(check_ins):
        if key_result.reached(check_in.value):
            return check_in.checked_in_at
    return None
