"""Apply the pure scoring rules to stored rows: derived key-result state and objective roll-up.

The one place where rows meet `sightline.scoring`; every write and read path goes through here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sightline import scoring
from sightline.events.redaction import redact_text
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.models import Cycle, KeyResult
from sightline.okrs.schemas import KeyResultPublic
from sightline.scoring import Cadence, Direction, Metric, Status, Thresholds


@dataclass(frozen=True)
class Derived:
    progress: float
    score: float
    status: Status


@dataclass(frozen=True)
class Calendar:
    """An organisation's settings and one cycle's bounds in its time zone."""

    settings: OrganisationSettings
    cycle: Cycle
    start: datetime
    end: datetime

    @classmethod
    def of(cls, settings: OrganisationSettings, cycle: Cycle) -> Calendar:
        start, end = scoring.cycle_bounds(start_date=cycle.start_date, end_date=cycle.end_date, tz=settings.time_zone)
        return cls(settings=settings, cycle=cycle, start=start, end=end)

    @property
    def thresholds(self) -> Thresholds:
        s = self.settings
        return Thresholds(on_track_gap=s.on_track_gap, at_risk_gap=s.at_risk_gap, low_confidence=s.low_confidence)

    def moment(self, day: date) -> datetime:
        return scoring.start_of_day(day=day, tz=self.settings.time_zone)


class Planned(Protocol):
    """What the expected value reads: a KeyResult row, or any row with these columns."""

    metric: str
    direction: str
    start_value: float
    target_value: float
    milestone_plan: list[dict[str, Any]]


def _plan(kr: Planned, calendar: Calendar) -> list[tuple[datetime, float]]:
    return [(calendar.moment(date.fromisoformat(str(p["date"]))), float(p["value"])) for p in kr.milestone_plan]


def derive(
    kr: KeyResult,
    *,
    current_value: float,
    latest_confidence: int | None,
    has_check_in: bool,
    calendar: Calendar,
    now: datetime,
) -> Derived:
    metric, direction = Metric(kr.metric), Direction(kr.direction)
    progress = scoring.progress(
        metric=metric, direction=direction, start=kr.start_value, target=kr.target_value, current=current_value
    )
    score = scoring.score(
        metric=metric,
        direction=direction,
        start=kr.start_value,
        target=kr.target_value,
        stretch=kr.stretch_value,
        current=current_value,
    )
    _, expected_progress = expected(kr, calendar=calendar, now=now)
    status = scoring.status(
        progress=progress,
        expected_progress=expected_progress,
        latest_confidence=latest_confidence,
        has_check_in=has_check_in,
        cycle_start=calendar.start,
        cadence=Cadence(kr.cadence),
        now=now,
        thresholds=calendar.thresholds,
    )
    return Derived(progress=progress, score=score, status=status)


def derive_stored(kr: KeyResult, *, calendar: Calendar, now: datetime) -> Derived:
    """The derived fields from the row's own current value and confidence (time passed, no new check-in)."""
    return derive(
        kr,
        current_value=kr.current_value,
        latest_confidence=kr.latest_confidence,
        has_check_in=kr.last_check_in_at is not None,
        calendar=calendar,
        now=now,
    )


def expected(kr: Planned, *, calendar: Calendar, now: datetime, elapsed: float | None = None) -> tuple[float, float]:
    """(expected value, expected progress) now. `elapsed`: the calendar's elapsed share at `now`, when the
    caller computed it once for many key results."""
    if not kr.milestone_plan and kr.metric != "milestone" and kr.direction in ("increase", "decrease"):
        # The common case, linear with no plan: expected progress is the elapsed share of the cycle
        # (what scoring.expected_progress gives too; spelled out because big graphs call this per KR).
        if elapsed is None:
            elapsed = scoring.elapsed_fraction(cycle_start=calendar.start, cycle_end=calendar.end, now=now)
        return kr.start_value + (kr.target_value - kr.start_value) * elapsed, elapsed
    kwargs: dict[str, Any] = {
        "metric": Metric(kr.metric),
        "direction": Direction(kr.direction),
        "start": kr.start_value,
        "target": kr.target_value,
        "cycle_start": calendar.start,
        "cycle_end": calendar.end,
        "plan": _plan(kr, calendar),
        "now": now,
    }
    return scoring.expected_value(**kwargs), scoring.expected_progress(**kwargs)  # type: ignore[arg-type]


def key_result_public(kr: KeyResult, *, calendar: Calendar, now: datetime) -> KeyResultPublic:
    return KeyResultPublic.model_validate(key_result_body(kr, calendar=calendar, now=now))


def key_result_body(kr: Any, *, calendar: Calendar, now: datetime, elapsed: float | None = None) -> dict[str, Any]:
    """KeyResultPublic's JSON values, in its order, from a model or a row with its columns as attributes (the
    hot reads encode this dict as it is; `key_result_public` validates it into the model). `elapsed`: as for
    `expected`, when the caller computed it once for many key results of one cycle. Spelled out field by field:
    a page of objectives builds 250 of these, and this is a third cheaper than looping over names with getattr."""
    expected_value, expected_progress = expected(kr, calendar=calendar, now=now, elapsed=elapsed)
    stale = scoring.is_stale(
        last_check_in_at=kr.last_check_in_at, cycle_start=calendar.start, cadence=_CADENCES[kr.cadence], now=now
    )
    error = kr.data_source_error
    return {
        "id": kr.id,
        "objective_id": kr.objective_id,
        "title": kr.title,
        "owner_id": kr.owner_id,
        "metric": kr.metric,
        "unit": kr.unit,
        "direction": kr.direction,
        "start_value": kr.start_value,
        "target_value": kr.target_value,
        "stretch_value": kr.stretch_value,
        "previous_value": kr.previous_value,
        "weight": kr.weight,
        "accumulation": kr.accumulation,
        "carried_from": kr.carried_from,
        "cadence": kr.cadence,
        "milestone_plan": [{"date": p["date"], "value": float(p["value"])} for p in kr.milestone_plan],
        "data_source": kr.data_source,
        "data_source_status": kr.data_source_status,
        # Viewers read this: a source's error may quote its URL with a token in it.
        "data_source_error": None if error is None else redact_text(error),
        "data_source_checked_at": kr.data_source_checked_at,
        "external_key": kr.external_key,
        "follows_kpi_id": kr.follows_kpi_id,
        "archived": kr.archived_at is not None,
        "current_value": kr.current_value,
        "progress": kr.progress,
        "score": kr.score,
        "status": kr.status,
        "latest_confidence": kr.latest_confidence,
        "last_check_in_at": kr.last_check_in_at,
        "expected_value": expected_value,
        "expected_progress": expected_progress,
        "stale": stale and calendar.cycle.state == "active",
        "version": kr.version,
        "created_at": kr.created_at,
        "updated_at": kr.updated_at,
    }


_CADENCES = {cadence.value: cadence for cadence in Cadence}  # a dict lookup: Cadence(value) costs a microsecond


@dataclass(frozen=True)
class Part:
    """What a key result (or an aligned child objective) contributes to an objective's roll-up."""

    progress: float | None
    expected_progress: float | None
    score: float | None
    status: Status
    weight: float


@dataclass(frozen=True)
class Rollup:
    progress: float | None
    expected_progress: float | None
    score: float | None
    status: Status


def key_result_part(kr: KeyResult, *, calendar: Calendar, now: datetime, elapsed: float | None = None) -> Part:
    """A key result's numbers for roll-up, without building its full public shape (hot on big graphs)."""
    _, expected_progress = expected(kr, calendar=calendar, now=now, elapsed=elapsed)
    return Part(
        progress=kr.progress,
        expected_progress=expected_progress,
        score=kr.score,
        status=Status(kr.status),
        weight=kr.weight,
    )


def rollup(parts: Sequence[Part], thresholds: Thresholds) -> Rollup:
    """Weighted means of clamped progress, expected progress and score; status by the gap rule."""
    known = [p for p in parts if p.progress is not None]
    # scoring.objective_progress three times over, in one pass per number (the map rolls up 1,000 objectives).
    total_weight = math.fsum(p.weight for p in known)
    progress: float | None = None
    expected_progress: float | None = None
    score: float | None = None
    if known and total_weight != 0:
        progress = math.fsum(max(0.0, min(1.0, p.progress or 0.0)) * p.weight for p in known) / total_weight
        expected_progress = (
            math.fsum(max(0.0, min(1.0, p.expected_progress or 0.0)) * p.weight for p in known) / total_weight
        )
        score = math.fsum(max(0.0, min(1.0, p.score or 0.0)) * p.weight for p in known) / total_weight
    status = scoring.objective_status(
        progress=progress,
        expected_progress=expected_progress,
        statuses=[p.status for p in parts],
        thresholds=thresholds,
    )
    return Rollup(progress=progress, expected_progress=expected_progress, score=score, status=status)


def combine(own: Rollup, children: Rollup, thresholds: Thresholds) -> Rollup:
    """`both` mode: the key-result part and the children part count equally (each when present)."""
    present = [r for r in (own, children) if r.progress is not None]
    parts = [Part(r.progress, r.expected_progress, r.score, r.status, 1.0) for r in present]
    return rollup(parts or [Part(None, None, None, Status.no_data, 1.0)], thresholds)
