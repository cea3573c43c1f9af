"""The one definition of progress, score, expected value and status (docs/concepts.md).

Pure functions: no I/O, and the clock always comes in as an aware `now`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

# Floats that land on a threshold (0.4 - 0.3 == 0.10000000000000003) must not change the answer.
EPSILON = 1e-9

# The calendar the rules compute in; every date the API accepts lies in it (sightline.inputs). A stored
# date outside it, written before input was bounded, counts as the nearest end: a cycle ending 9999-12-31
# is computed as ending 2200-12-31 instead of overflowing at "the day after its end".
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)

# Progress and ambition are ratios of input distances; a target a hair from its start (0 to 5e-324) would
# make them infinite, which JSON cannot carry. Beyond a million times the distance, the number says nothing more.
RATIO_LIMIT = 1e6

# The stretch grading: reaching the committed target scores this, reaching the stretch scores 1.0.
TARGET_SCORE = 0.7


class Direction(StrEnum):
    increase = "increase"
    decrease = "decrease"
    at_least = "at_least"
    at_most = "at_most"


class Metric(StrEnum):
    number = "number"
    percent = "percent"
    currency = "currency"
    milestone = "milestone"


class Cadence(StrEnum):
    weekly = "weekly"
    biweekly = "biweekly"
    monthly = "monthly"
    quarterly = "quarterly"


# Fixed lengths so that "one period" never depends on which month it starts in:
# monthly is 30 days and quarterly is 91 days (13 weeks).
CADENCE_PERIOD: dict[Cadence, timedelta] = {
    Cadence.weekly: timedelta(days=7),
    Cadence.biweekly: timedelta(days=14),
    Cadence.monthly: timedelta(days=30),
    Cadence.quarterly: timedelta(days=91),
}


class Status(StrEnum):
    done = "done"
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    no_data = "no_data"


@dataclass(frozen=True)
class Thresholds:
    """Organisation settings for the status rule."""

    on_track_gap: float = 0.10
    at_risk_gap: float = 0.25
    low_confidence: int = 3


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _is_binary(metric: Metric, direction: Direction) -> bool:
    """Milestones and thresholds are met or not; only increase/decrease measure a distance."""
    return metric is Metric.milestone or direction in (Direction.at_least, Direction.at_most)


def _seconds_since(origin: datetime, moment: datetime) -> float:
    """Seconds from `origin` to `moment` on the wall clock of origin's zone.

    Measuring in the cycle's own calendar makes every calendar day count the same, so a daylight
    saving switch does not shift the plan by an hour (1 July is exactly 181/365 into the year).
    """
    if origin.tzinfo is None or moment.tzinfo is None:
        raise ValueError("scoring needs timezone-aware datetimes")
    return (moment.astimezone(origin.tzinfo) - origin).total_seconds()


def start_of_day(*, day: date, tz: str) -> datetime:
    """00:00 of `day` in the IANA zone `tz`: how cycle dates and milestone plan dates become moments."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))


def cycle_bounds(*, start_date: date, end_date: date, tz: str) -> tuple[datetime, datetime]:
    """The cycle as [start, end): the end date is inclusive, so the end is the next day's midnight."""
    start_date, end_date = (min(max(day, EARLIEST_DAY), LATEST_DAY) for day in (start_date, end_date))
    return start_of_day(day=start_date, tz=tz), start_of_day(day=end_date + timedelta(days=1), tz=tz)


def elapsed_fraction(*, cycle_start: datetime, cycle_end: datetime, now: datetime) -> float:
    length = _seconds_since(cycle_start, cycle_end)
    if length <= 0:
        return 1.0
    return _clamp(_seconds_since(cycle_start, now) / length)


def _distance_progress(direction: Direction, start: float, target: float, value: float) -> float:
    if target == start:
        # Validation forbids this; answer "reached or not" rather than divide by zero.
        reached = value <= target if direction is Direction.decrease else value >= target
        return 1.0 if reached else 0.0
    return _clamp((value - start) / (target - start), -RATIO_LIMIT, RATIO_LIMIT)


def milestone_value_problem(value: float, target: float) -> str | None:
    """Why `value` is not a value of a milestone whose last step is `target`, or None when it is one.

    A milestone counts steps done, from 0 (none) to its target (the last step, when it is done): 0/1 is
    the one-step milestone, a target of 4 a milestone of four steps. Nothing else is a milestone's value:
    not 7 on a 0/1 milestone, not 2.5 steps. Only the last step makes it done (progress 1); every other
    value is progress 0 — a stored value that is no step (written before this rule) counts as not done.
    """
    if float(value).is_integer() and 0 <= value <= target:
        return None
    if target == 1:
        return "a milestone's value is 1 when done, 0 when not"
    return f"a milestone's value is a whole number of steps done, from 0 to {target:g} (done)"


def _milestone_done(current: float, target: float) -> bool:
    return float(target).is_integer() and target >= 1 and current == target


def progress(*, metric: Metric, direction: Direction, start: float, target: float, current: float) -> float:
    """Unclamped for increase/decrease (below 0 when going backwards, above 1 past the target)."""
    if metric is Metric.milestone:
        return 1.0 if _milestone_done(current, target) else 0.0
    if direction is Direction.at_least:
        return 1.0 if current >= target else 0.0
    if direction is Direction.at_most:
        return 1.0 if current <= target else 0.0
    return _distance_progress(direction, start, target, current)


def score(
    *,
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    stretch: float | None,
    current: float,
) -> float:
    """The 0.0-1.0 grade; with a stretch the target scores 0.7 and the stretch 1.0."""
    p = progress(metric=metric, direction=direction, start=start, target=target, current=current)
    if stretch is None or _is_binary(metric, direction):
        return _clamp(p)
    if p < 1.0:
        return TARGET_SCORE * _clamp(p)
    if stretch == target:
        return 1.0
    beyond = (current - target) / (stretch - target)
    return min(1.0, TARGET_SCORE + (1.0 - TARGET_SCORE) * beyond)


def expected_value(
    *,
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    cycle_start: datetime,
    cycle_end: datetime,
    plan: Sequence[tuple[datetime, float]],
    now: datetime,
) -> float:
    """Where the key result should be at `now` according to its plan (linear when there is none)."""
    if metric is not Metric.milestone and direction in (Direction.at_least, Direction.at_most):
        # A threshold must hold the whole cycle, not be approached.
        return target
    x = _seconds_since(cycle_start, now)
    end_x = _seconds_since(cycle_start, cycle_end)
    # Plan points outside the cycle are rejected by validation; ignore them rather than bend the line.
    positioned = ((_seconds_since(cycle_start, at), value) for at, value in plan)
    points = sorted(point for point in positioned if 0 <= point[0] <= end_x)
    if metric is Metric.milestone:
        # A milestone is done or not: the plan is a staircase, not a ramp.
        if x >= end_x:
            return target
        reached = [value for position, value in points if position <= x]
        return reached[-1] if reached else start
    if x <= 0:
        return start
    knots = [(0.0, start), *points, (end_x, target)]
    for (left_x, left_value), (right_x, right_value) in pairwise(knots):
        if x <= right_x:
            if right_x == left_x:
                return right_value
            return left_value + (right_value - left_value) * (x - left_x) / (right_x - left_x)
    return target


def expected_progress(
    *,
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    cycle_start: datetime,
    cycle_end: datetime,
    plan: Sequence[tuple[datetime, float]],
    now: datetime,
) -> float:
    """The progress the plan asks for at `now`, on the same scale as `progress` (1.0 for thresholds)."""
    value = expected_value(
        metric=metric,
        direction=direction,
        start=start,
        target=target,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        plan=plan,
        now=now,
    )
    return progress(metric=metric, direction=direction, start=start, target=target, current=value)


def _gap_status(progress: float, expected_progress: float, thresholds: Thresholds) -> Status:
    gap = expected_progress - progress
    if gap <= thresholds.on_track_gap + EPSILON:
        return Status.on_track
    if gap <= thresholds.at_risk_gap + EPSILON:
        return Status.at_risk
    return Status.off_track


def status(
    *,
    progress: float,
    expected_progress: float,
    latest_confidence: int | None,
    has_check_in: bool,
    cycle_start: datetime,
    cadence: Cadence,
    now: datetime,
    thresholds: Thresholds = Thresholds(),
) -> Status:
    """Status of an active key result: done, no_data, or how far it lags its plan."""
    if progress >= 1.0 - EPSILON:
        return Status.done
    if not has_check_in and now > cycle_start + CADENCE_PERIOD[cadence]:
        return Status.no_data
    result = _gap_status(progress, expected_progress, thresholds)
    # The owner's own doubt outranks a plan that still looks fine.
    if result is Status.on_track and latest_confidence is not None and latest_confidence <= thresholds.low_confidence:
        return Status.at_risk
    return result


def objective_progress(*, parts: Sequence[tuple[float, float]]) -> float | None:
    """Weighted mean of clamped (progress, weight) parts: key results, aligned children, or both."""
    total_weight = math.fsum(weight for _, weight in parts)
    if not parts or total_weight == 0:
        return None
    return math.fsum(_clamp(part) * weight for part, weight in parts) / total_weight


def objective_status(
    *,
    progress: float | None,
    expected_progress: float | None,
    statuses: Sequence[Status],
    thresholds: Thresholds = Thresholds(),
) -> Status:
    """Same gap rule as a key result, on weighted expected progress; no confidence rule."""
    if progress is None or expected_progress is None:
        return Status.no_data
    if statuses and all(part is Status.no_data for part in statuses):
        return Status.no_data
    if progress >= 1.0 - EPSILON:
        return Status.done
    return _gap_status(progress, expected_progress, thresholds)


# A check-in may come this long after its cadence period before the key result counts as stale.
STALE_GRACE = timedelta(days=2)


def is_stale(
    *,
    last_check_in_at: datetime | None,
    cycle_start: datetime,
    cadence: Cadence,
    now: datetime,
    grace: timedelta = STALE_GRACE,
) -> bool:
    """No check-in within one cadence period (plus grace) of the last one, or of the cycle start."""
    reference = last_check_in_at if last_check_in_at is not None else cycle_start
    return now > reference + CADENCE_PERIOD[cadence] + grace


def check_in_deadline(
    *, last_check_in_at: datetime | None, cycle_start: datetime, cadence: Cadence, grace: timedelta = timedelta(days=2)
) -> datetime:
    """When a key result turns stale: one cadence period (plus grace) after the last check-in or the cycle start."""
    reference = last_check_in_at if last_check_in_at is not None else cycle_start
    return reference + CADENCE_PERIOD[cadence] + grace


def overdue_periods(
    *,
    last_check_in_at: datetime | None,
    cycle_start: datetime,
    cadence: Cadence,
    now: datetime,
    grace: timedelta = timedelta(days=2),
) -> int:
    """How many check-in periods are overdue: 0 until stale, 1 once stale, one more after each further period."""
    deadline = check_in_deadline(
        last_check_in_at=last_check_in_at, cycle_start=cycle_start, cadence=cadence, grace=grace
    )
    if now <= deadline:
        return 0
    return math.ceil((now - deadline) / CADENCE_PERIOD[cadence])


def ambition(*, start: float, target: float, previous: float | None, baseline: float | None = None) -> float | None:
    """How much further than last time this target reaches: 0.5 means a 50 % bigger step.

    Last time's step ran from `baseline` to `previous`: the key result's own start, unless it is a level carried
    over from a cycle where it started elsewhere (ARR from 1.0 M to 1.2 M, then from 1.2 M: the step was 0.2 M).
    """
    base = start if baseline is None else baseline
    if previous is None or previous == base:
        return None
    return _clamp((target - start) / (previous - base) - 1.0, -RATIO_LIMIT, RATIO_LIMIT)


def validate_key_result(
    *,
    metric: Metric,
    direction: Direction,
    start: float,
    target: float,
    stretch: float | None,
    cycle_start_date: date,
    cycle_end_date: date,
    plan_dates: Sequence[date],
    plan_values: Sequence[float] = (),
    previous: float | None = None,
    current: float | None = None,
) -> list[tuple[str, str]]:
    """Every broken rule as a (field, message) pair, so a form can show them all at once.

    `current`: the value checked in so far, when there is one (a key result being edited into a milestone
    must not be left holding a value that is no step of it).
    """
    problems: list[tuple[str, str]] = []
    if metric is Metric.milestone:
        problems += _milestone_problems(
            direction=direction, start=start, target=target, plan_values=plan_values, previous=previous, current=current
        )
        direction = Direction.increase  # reported above; the rules below would only repeat it
    if direction is Direction.increase and not target > start:
        problems.append(("target_value", "must be greater than the start value for an increase"))
    if direction is Direction.decrease and not target < start:
        problems.append(("target_value", "must be smaller than the start value for a decrease"))
    if stretch is not None:
        if _is_binary(metric, direction):
            problems.append(("stretch_value", "is only allowed for increase and decrease key results"))
        elif direction is Direction.increase and not stretch > target:
            problems.append(("stretch_value", "must be greater than the target value for an increase"))
        elif direction is Direction.decrease and not stretch < target:
            problems.append(("stretch_value", "must be smaller than the target value for a decrease"))
    for index, plan_date in enumerate(plan_dates):
        if not cycle_start_date <= plan_date <= cycle_end_date:
            problems.append(
                (
                    f"milestone_plan.{index}.date",
                    f"must lie within the cycle ({cycle_start_date} to {cycle_end_date})",
                )
            )
    return problems


def _milestone_problems(
    *,
    direction: Direction,
    start: float,
    target: float,
    plan_values: Sequence[float],
    previous: float | None,
    current: float | None,
) -> list[tuple[str, str]]:
    """A milestone counts steps up from 0 to its target, the last step (see `milestone_value_problem`)."""
    problems: list[tuple[str, str]] = []
    if direction is not Direction.increase:
        problems.append(("direction", "must be increase for a milestone (it counts steps done)"))
    if start != 0:
        problems.append(("start_value", "must be 0 for a milestone (no step done yet)"))
    if not (float(target).is_integer() and target >= 1):
        problems.append(("target_value", "must be a whole number of steps for a milestone: 1 for done or not"))
        return problems  # the values below are measured against the target
    for index, value in enumerate(plan_values):
        if problem := milestone_value_problem(value, target):
            problems.append((f"milestone_plan.{index}.value", problem))
    if previous is not None and not (float(previous).is_integer() and previous >= 0):
        problems.append(("previous_value", "must be a whole number of steps for a milestone"))
    if current is not None and milestone_value_problem(current, target):
        problems.append(
            ("target_value", f"the current value {current:g} is no step of this milestone (0 to {target:g})")
        )
    return problems
