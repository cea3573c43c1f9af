"""A KPI's status from a value and its healthy range (docs/decisions/planning-kpi-thresholds.md).

The healthy range is [healthy_min, healthy_max], either end open. Outside it a value is `warning`, and
`critical` once it passes the critical bound on that side (critical_min below the range, critical_max above);
a side without a critical bound only warns. The side that matters is the direction's: a KPI where higher is
better needs a healthy_min (its floor), one where lower is better a healthy_max (its ceiling); the other end
is optional (a cap on "too good to be true").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KpiStatus = Literal["healthy", "warning", "critical"]
KpiDirection = Literal["higher_is_better", "lower_is_better"]


@dataclass(frozen=True)
class Range:
    healthy_min: float | None
    healthy_max: float | None
    critical_min: float | None
    critical_max: float | None


def status_of(value: float | None, bounds: Range) -> KpiStatus | None:
    """None without a value."""
    if value is None:
        return None
    if bounds.healthy_min is not None and value < bounds.healthy_min:
        return "critical" if bounds.critical_min is not None and value < bounds.critical_min else "warning"
    if bounds.healthy_max is not None and value > bounds.healthy_max:
        return "critical" if bounds.critical_max is not None and value > bounds.critical_max else "warning"
    return "healthy"


def range_problems(direction: str, bounds: Range) -> list[tuple[str, str]]:
    """(field, message) for each inconsistency of a range with its direction; empty when it is sound."""
    problems: list[tuple[str, str]] = []
    if direction == "higher_is_better" and bounds.healthy_min is None:
        problems.append(("healthy_min", "a KPI where higher is better needs healthy_min (the healthy floor)"))
    if direction == "lower_is_better" and bounds.healthy_max is None:
        problems.append(("healthy_max", "a KPI where lower is better needs healthy_max (the healthy ceiling)"))
    low, high = bounds.healthy_min, bounds.healthy_max
    if low is not None and high is not None and low > high:
        problems.append(("healthy_max", "must be at least healthy_min"))
    if bounds.critical_min is not None and (low is None or bounds.critical_min > low):
        problems.append(("critical_min", "needs healthy_min and must be at most healthy_min"))
    if bounds.critical_max is not None and (high is None or bounds.critical_max < high):
        problems.append(("critical_max", "needs healthy_max and must be at least healthy_max"))
    return problems
