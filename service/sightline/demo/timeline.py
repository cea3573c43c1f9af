"""The demo's calendar and each key result's planned check-ins (values, confidence, notes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from sightline import scoring
from sightline.demo.data import HOURS, KR, NOTES, TIME_ZONE
from sightline.okrs import schemas
from sightline.okrs.models import Cycle
from sightline.scoring import Cadence, Direction, Metric


@dataclass(frozen=True)
class Reading:
    """One planned check-in."""

    moment: datetime
    owner: str
    title: str
    value: float
    confidence: int
    note: str
    source: str


Step = tuple[datetime, Callable[[AsyncSession], Awaitable[None]]]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TIME_ZONE))


def fiscal_calendar(today: date) -> dict[str, tuple[str, date, date]]:
    """The fiscal year (April to March) containing `today` and its quarters: key → (name, first day, last day).

    While `today` is in the year's first quarter, no quarter of it has closed yet: the previous fiscal year's
    last quarter is there too ("previous", a quarter of its own), so the demo always shows a closed quarter.
    """
    year = today.year if today.month >= 4 else today.year - 1
    starts = [date(year, 4, 1), date(year, 7, 1), date(year, 10, 1), date(year + 1, 1, 1), date(year + 1, 4, 1)]
    calendar = {"year": (f"FY{year}", starts[0], starts[4] - timedelta(days=1))}
    for n in range(4):
        calendar[f"Q{n + 1}"] = (f"FY{year}-Q{n + 1}", starts[n], starts[n + 1] - timedelta(days=1))
    if today < starts[1]:
        calendar["previous"] = (f"FY{year - 1}-Q4", date(year, 1, 1), starts[0] - timedelta(days=1))
    return calendar


def _days(cadence: Cadence, start: date, until: date) -> list[date]:
    """Check-in days before `until`: the 1st of each following month, or Mondays every 1, 2 or 13 weeks."""
    if cadence is Cadence.monthly:
        months = (start.month - 1 + k for k in range(1, 13))
        return [day for m in months if (day := date(start.year + m // 12, m % 12 + 1, 1)) < until]
    step = {Cadence.weekly: 7, Cadence.biweekly: 14, Cadence.quarterly: 91}[cadence]
    first = start + timedelta(days=7 - start.weekday())
    return [day for k in range(60) if (day := first + timedelta(days=step * k)) < until]


def milestone_plan(spec: KR, cycle: Cycle) -> list[schemas.MilestonePoint]:
    length = (cycle.end_date - cycle.start_date).days
    return [
        schemas.MilestonePoint(date=cycle.start_date + timedelta(days=round(share * length)), value=value)
        for share, value in spec.plan
    ]


def planned_readings(spec: KR, owner: str, cycle: Cycle, *, today: date, rng: Random) -> list[Reading]:
    """Plausible values along the plan at the KR's pace, with noise and confidence that follows the gap."""
    metric, direction = Metric(spec.metric), Direction(spec.direction)
    start, end = scoring.cycle_bounds(start_date=cycle.start_date, end_date=cycle.end_date, tz=TIME_ZONE)
    plan = [(scoring.start_of_day(day=p.date, tz=TIME_ZONE), p.value) for p in milestone_plan(spec, cycle)]
    until = min(today - timedelta(weeks=spec.silent_weeks), cycle.end_date + timedelta(days=1))
    span = abs(spec.target - spec.start)
    readings: list[Reading] = []
    last: float | None = None
    for day in _days(Cadence(spec.cadence), cycle.start_date, until):
        moment = at(day, HOURS[owner])
        share = scoring.elapsed_fraction(cycle_start=start, cycle_end=end, now=moment)
        if metric is Metric.milestone:
            value = spec.target if share >= spec.pace else spec.start
        elif direction in (Direction.at_least, Direction.at_most):
            value = spec.pace * rng.uniform(0.97, 1.03)
        else:
            expected = scoring.expected_value(
                metric=metric,
                direction=direction,
                start=spec.start,
                target=spec.target,
                cycle_start=start,
                cycle_end=end,
                plan=plan,
                now=moment,
            )
            value = spec.start + (expected - spec.start) * spec.pace * rng.uniform(0.94, 1.06)
            if spec.start == 0 and last is not None:
                value = max(value, last)  # running totals never shrink
        value = last = round(value, 0 if span >= 100 else 1 if span >= 5 else 2)
        met = scoring.progress(metric=metric, direction=direction, start=spec.start, target=spec.target, current=value)
        if metric is Metric.milestone:
            base = 10.0 if met >= 1 else 6.0
        elif direction in (Direction.at_least, Direction.at_most):
            base = 8.0 if met >= 1 else 4.0
        else:
            base = 7 + (spec.pace - 1) * 14 * share  # doubt (or confidence) grows as the gap shows
        confidence = max(0, min(10, round(base + rng.uniform(-1, 1))))
        note = rng.choice(NOTES[confidence >= 6]) if rng.random() < 0.3 else ""
        readings.append(Reading(moment, owner, spec.title, value, confidence, note, spec.source))
    return readings
