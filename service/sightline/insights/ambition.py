"""Ambition: does a target reach further than what was already achieved? (docs/concepts.md)

ambition = (target − start) / (previous − start) − 1, the same for the stretch value; for a level carried over,
last time's step starts at its original's start (`scoring.ambition`). Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from sightline import scoring
from sightline.insights.history import KeyResultFacts

# "Achieved in June, rest of the year off": a target reached before this share of the cycle elapsed.
HIT_EARLY_BEFORE = 0.60
DEFAULT_LOW_AMBITION = 0.0


class AmbitionFlag(StrEnum):
    low_ambition = "low_ambition"
    no_baseline = "no_baseline"
    hit_early = "hit_early"
    sandbagging_suspect = "sandbagging_suspect"


@dataclass(frozen=True)
class Ambition:
    ambition: float | None
    stretch_ambition: float | None
    flags: tuple[AmbitionFlag, ...]


def assess(
    key_result: KeyResultFacts,
    *,
    hit_at: datetime | None,
    cycle_start: datetime,
    cycle_end: datetime,
    low_ambition: float = DEFAULT_LOW_AMBITION,
    sandbagging_suspect: bool = False,
) -> Ambition:
    """Ambition of one key result and its flags.

    Only increase/decrease results have an ambition: a milestone or a threshold has no "how far".
    A previous value equal to the start value gives no comparable step, like no previous value at all.
    """
    if not key_result.measured:
        return Ambition(ambition=None, stretch_ambition=None, flags=())
    flags: list[AmbitionFlag] = []
    ambition = _ambition(key_result, key_result.target)
    stretch = None if key_result.stretch is None else _ambition(key_result, key_result.stretch)
    if ambition is None:
        flags.append(AmbitionFlag.no_baseline)
    elif ambition <= low_ambition + scoring.EPSILON:
        flags.append(AmbitionFlag.low_ambition)
    if hit_at is not None and is_early(hit_at=hit_at, cycle_start=cycle_start, cycle_end=cycle_end):
        flags.append(AmbitionFlag.hit_early)
    if sandbagging_suspect and key_result.kind == "committed":
        flags.append(AmbitionFlag.sandbagging_suspect)
    return Ambition(ambition=ambition, stretch_ambition=stretch, flags=tuple(flags))


def _ambition(key_result: KeyResultFacts, target: float) -> float | None:
    return scoring.ambition(
        start=key_result.start, target=target, previous=key_result.previous, baseline=key_result.baseline
    )


def is_early(*, hit_at: datetime, cycle_start: datetime, cycle_end: datetime) -> bool:
    return scoring.elapsed_fraction(cycle_start=cycle_start, cycle_end=cycle_end, now=hit_at) < HIT_EARLY_BEFORE


@dataclass(frozen=True)
class OwnerCycleGrade:
    """One graded committed key result of a closed cycle, as the sandbagging rule reads it."""

    owner_id: UUID
    cycle_id: UUID
    cycle_start: date
    cycle_end: date
    hit: bool
    ambition: float | None


def sandbagging_suspects(
    grades: Iterable[OwnerCycleGrade],
    *,
    before: date,
    including: UUID | None,
    low_ambition: float = DEFAULT_LOW_AMBITION,
) -> set[UUID]:
    """Owners whose committed key results all hit with low ambition in two closed cycles in a row.

    "In a row" follows each owner's own closed cycles without overlap: the latest one (the cycle
    `including`, when given, else the latest ending on or before `before`), then the latest one ending
    on or before that one starts — so a year's predecessor is the previous year, not its own Q4.
    Results without a baseline do not count as low ambition.
    """
    per_owner: dict[UUID, dict[UUID, list[OwnerCycleGrade]]] = {}
    for grade in grades:
        per_owner.setdefault(grade.owner_id, {}).setdefault(grade.cycle_id, []).append(grade)
    suspects: set[UUID] = set()
    for owner_id, cycles in per_owner.items():
        bounds = {cycle_id: (rows[0].cycle_start, rows[0].cycle_end) for cycle_id, rows in cycles.items()}
        if including is not None and including in cycles:
            latest: UUID | None = including
        else:
            latest = _latest_ending_by(bounds, before)
        if latest is None:
            continue
        previous = _latest_ending_by({k: v for k, v in bounds.items() if k != latest}, bounds[latest][0])
        if previous is None:
            continue
        if all(_timid_and_hit(cycles[c], low_ambition) for c in (latest, previous)):
            suspects.add(owner_id)
    return suspects


def _latest_ending_by(bounds: dict[UUID, tuple[date, date]], day: date) -> UUID | None:
    candidates = [(end, str(cycle_id), cycle_id) for cycle_id, (_, end) in bounds.items() if end <= day]
    return max(candidates)[2] if candidates else None


def _timid_and_hit(grades: Sequence[OwnerCycleGrade], low_ambition: float) -> bool:
    return bool(grades) and all(
        g.hit and g.ambition is not None and g.ambition <= low_ambition + scoring.EPSILON for g in grades
    )


@dataclass(frozen=True)
class AmbitionTotals:
    key_results: int
    with_baseline: int
    mean_ambition: float | None
    mean_stretch_ambition: float | None
    flags: dict[AmbitionFlag, int]


def summarise(assessed: Sequence[Ambition]) -> AmbitionTotals:
    ambitions = [a.ambition for a in assessed if a.ambition is not None]
    stretches = [a.stretch_ambition for a in assessed if a.stretch_ambition is not None]
    counts = dict.fromkeys(AmbitionFlag, 0)
    for item in assessed:
        for flag in item.flags:
            counts[flag] += 1
    return AmbitionTotals(
        key_results=len(assessed),
        with_baseline=len(ambitions),
        mean_ambition=math.fsum(ambitions) / len(ambitions) if ambitions else None,
        mean_stretch_ambition=math.fsum(stretches) / len(stretches) if stretches else None,
        flags=counts,
    )
