"""Grades of a closed cycle: the final score of each key result, and their distribution by kind.

Google's guidance, which the flags follow: committed OKRs should land near 1.0; aspirational ones
around 0.7 — averaging 0.9 or more means the goals were not stretched, below 0.4 that they were
unrealistic. A committed key result is judged on how much of its target it delivered (clamped
progress): with a stretch value, reaching the target scores 0.7, and a delivered commitment must not
read as a miss. Aspirational ones are judged on the score, the scale Google's 0.7 is written in.
Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sightline import scoring
from sightline.insights.history import KeyResultFacts

BINS = 10  # 0.0–0.1, 0.1–0.2, … 0.9–1.0 (1.0 falls in the last)
COMMITTED_NEAR_ONE = 0.90
NOT_STRETCHED_FROM = 0.90
UNREALISTIC_BELOW = 0.40


class GradeFlag(StrEnum):
    committed_not_delivered = "committed_not_delivered"
    aspirational_not_stretched = "aspirational_not_stretched"
    aspirational_unrealistic = "aspirational_unrealistic"


@dataclass(frozen=True)
class Grade:
    final_value: float
    progress: float
    score: float
    hit: bool


def grade(key_result: KeyResultFacts) -> Grade:
    """The grade is the score function applied to the final value; hit means the target was reached."""
    final = key_result.current_value
    score = scoring.score(
        metric=key_result.metric,
        direction=key_result.direction,
        start=key_result.start,
        target=key_result.target,
        stretch=key_result.stretch,
        current=final,
    )
    progress = key_result.progress_of(final)
    return Grade(final_value=final, progress=progress, score=score, hit=key_result.reached(final))


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Distribution:
    kind: str
    key_results: int
    mean_score: float | None
    mean_progress: float | None  # clamped to 0–1: the share of the targets delivered
    hit_rate: float | None
    bins: list[Bin]
    flags: list[GradeFlag]


def bin_index(score: float) -> int:
    # round() first: 0.7 * 10 is 7.000000000000001 and 0.3 * 10 is 3.0000000000000004, both fine, but
    # 0.29999999999999993 (a sum of floats meaning 0.3) must land in 0.3–0.4 too.
    return min(BINS - 1, max(0, math.floor(round(score * BINS, 9))))


def distribution(kind: str, grades: Sequence[Grade]) -> Distribution:
    counts = [0] * BINS
    for item in grades:
        counts[bin_index(item.score)] += 1
    mean = math.fsum(g.score for g in grades) / len(grades) if grades else None
    delivered = math.fsum(max(0.0, min(1.0, g.progress)) for g in grades) / len(grades) if grades else None
    return Distribution(
        kind=kind,
        key_results=len(grades),
        mean_score=mean,
        mean_progress=delivered,
        hit_rate=sum(1 for g in grades if g.hit) / len(grades) if grades else None,
        bins=[Bin(low=i / BINS, high=(i + 1) / BINS, count=counts[i]) for i in range(BINS)],
        flags=guidance(kind, mean_score=mean, mean_progress=delivered),
    )


def guidance(kind: str, *, mean_score: float | None, mean_progress: float | None) -> list[GradeFlag]:
    eps = scoring.EPSILON
    if kind == "committed":
        if mean_progress is None:
            return []
        return [GradeFlag.committed_not_delivered] if mean_progress < COMMITTED_NEAR_ONE - eps else []
    if mean_score is None:
        return []
    if mean_score >= NOT_STRETCHED_FROM - eps:
        return [GradeFlag.aspirational_not_stretched]
    if mean_score < UNREALISTIC_BELOW - eps:
        return [GradeFlag.aspirational_unrealistic]
    return []
