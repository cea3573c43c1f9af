"""Honesty signals: patterns in a check-in history worth a conversation — never a verdict.

Pure functions over a key result and its check-ins. Every rule and threshold is named here and
documented in docs/readme/insights.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from sightline import scoring
from sightline.insights.history import CSV_IMPORT_SOURCE, CheckInFacts, KeyResultFacts, effective

LATE_WINDOW = 0.10  # the last 10 % of the cycle
LATE_JUMP = 0.30  # a move of more than 30 % of the target range
FLAT_MIN_CHECK_INS = 3  # at least this many check-ins before the jump …
FLAT_SPREAD = 0.10  # … that together moved no more than 10 % of the target range …
FLAT_JUMP = 0.30  # … then one check-in moving more than 30 %
STEADY_CONFIDENCE_MIN = 4  # this many confidences, all the same: "confidence never moved"


class SignalKind(StrEnum):
    correction = "correction"
    backdated = "backdated"
    late_jump = "late_jump"
    flat_then_jump = "flat_then_jump"
    confidence_never_moved = "confidence_never_moved"


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    key_result_id: UUID
    check_in_id: UUID | None
    at: datetime | None
    size: float | None  # share of the target range, where a size means something
    reason: str | None
    detail: str


def signals(
    key_result: KeyResultFacts,
    check_ins: Sequence[CheckInFacts],
    *,
    cycle_start: datetime,
    cycle_end: datetime,
) -> list[Signal]:
    """Every signal in one key result's history, in the order the rules are listed."""
    found = [*_corrections(key_result, check_ins), *_backdated(key_result, check_ins)]
    series = effective(check_ins)
    if key_result.measured and key_result.target_range > 0:
        found += _late_jumps(key_result, series, cycle_start, cycle_end)
        found += _flat_then_jump(key_result, series)
    found += _steady_confidence(key_result, series)
    return found


def _share(key_result: KeyResultFacts, delta: float) -> float | None:
    return abs(delta) / key_result.target_range if key_result.target_range > 0 else None


def _delay(late: timedelta) -> str:
    """How late a check-in was recorded, in words: people read the detail, and timestamps belong in fields."""
    hours = late.total_seconds() / 3600
    if hours < 48:
        whole = max(1, round(hours))
        return f"{whole} hour{'s' if whole != 1 else ''}"
    days = round(hours / 24)
    return f"{days} days"


def _percent(share: float | None) -> str:
    return "" if share is None else f" ({share:.0%} of the target range)"


def _corrections(key_result: KeyResultFacts, check_ins: Sequence[CheckInFacts]) -> list[Signal]:
    by_id = {c.id: c for c in check_ins}
    found = []
    for check_in in sorted(check_ins, key=lambda c: c.seq):
        if check_in.corrects is None:
            continue
        original = by_id.get(check_in.corrects)
        delta = None if original is None else check_in.value - original.value
        size = None if delta is None else _share(key_result, delta)
        change = "" if original is None else f" from {original.value:g} to {check_in.value:g}"
        found.append(
            Signal(
                kind=SignalKind.correction,
                key_result_id=key_result.id,
                check_in_id=check_in.id,
                at=check_in.created_at,
                size=size,
                reason=check_in.reason,
                detail=f"a reported value was corrected{change}{_percent(size)}",
            )
        )
    return found


def _backdated(key_result: KeyResultFacts, check_ins: Sequence[CheckInFacts]) -> list[Signal]:
    return [
        Signal(
            kind=SignalKind.backdated,
            key_result_id=key_result.id,
            check_in_id=c.id,
            at=c.checked_in_at,
            size=None,
            reason=None,
            detail=f"recorded {_delay(c.created_at - c.checked_in_at)} after the moment it reports",
        )
        for c in sorted(check_ins, key=lambda c: c.seq)
        if c.backdated and c.corrects is None and c.source != CSV_IMPORT_SOURCE
    ]


def _late_jumps(
    key_result: KeyResultFacts, series: Sequence[CheckInFacts], cycle_start: datetime, cycle_end: datetime
) -> list[Signal]:
    """A change of more than 30 % of the target range reported for the last 10 % of the cycle."""
    found = []
    previous = key_result.start  # the cycle starts at the start value
    for check_in in series:
        elapsed = scoring.elapsed_fraction(cycle_start=cycle_start, cycle_end=cycle_end, now=check_in.checked_in_at)
        size = _share(key_result, check_in.value - previous)
        if elapsed >= 1.0 - LATE_WINDOW - scoring.EPSILON and size is not None and size > LATE_JUMP:
            found.append(
                Signal(
                    kind=SignalKind.late_jump,
                    key_result_id=key_result.id,
                    check_in_id=check_in.id,
                    at=check_in.checked_in_at,
                    size=size,
                    reason=None,
                    detail=(
                        f"moved from {previous:g} to {check_in.value:g}{_percent(size)} "
                        f"with {1 - elapsed:.0%} of the cycle left"
                    ),
                )
            )
        previous = check_in.value
    return found


def _flat_then_jump(key_result: KeyResultFacts, series: Sequence[CheckInFacts]) -> list[Signal]:
    """At least three check-ins that barely moved (≤ 10 % of the range together), then one big move (> 30 %)."""
    values = [key_result.start]
    for index, check_in in enumerate(series):
        size = _share(key_result, check_in.value - values[-1])
        spread = _share(key_result, max(values) - min(values))
        if (
            index >= FLAT_MIN_CHECK_INS
            and size is not None
            and size > FLAT_JUMP
            and spread is not None
            and spread <= FLAT_SPREAD + scoring.EPSILON
        ):
            return [
                Signal(
                    kind=SignalKind.flat_then_jump,
                    key_result_id=key_result.id,
                    check_in_id=check_in.id,
                    at=check_in.checked_in_at,
                    size=size,
                    reason=None,
                    detail=f"{index} check-ins stayed within {spread:.0%} of the range, then one moved {size:.0%}",
                )
            ]
        values.append(check_in.value)
    return []


def _steady_confidence(key_result: KeyResultFacts, series: Sequence[CheckInFacts]) -> list[Signal]:
    confidences = [c for c in series if c.confidence is not None]
    if len(confidences) < STEADY_CONFIDENCE_MIN or len({c.confidence for c in confidences}) != 1:
        return []
    last = confidences[-1]
    return [
        Signal(
            kind=SignalKind.confidence_never_moved,
            key_result_id=key_result.id,
            check_in_id=None,
            at=last.checked_in_at,
            size=None,
            reason=None,
            detail=f"confidence was {last.confidence} at all {len(confidences)} check-ins",
        )
    ]


def count_by_kind(found: Sequence[Signal]) -> dict[SignalKind, int]:
    counts = dict.fromkeys(SignalKind, 0)
    for signal in found:
        counts[signal.kind] += 1
    return counts
