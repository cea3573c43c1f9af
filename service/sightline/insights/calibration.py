"""Calibration: did confidence mean anything? Brier score of confidence/10 against hitting the target.

A forecast is one check-in's confidence (0–10, read as a probability /10); its outcome is 1 when the key
result hit its target at close, else 0. Brier = mean((forecast − outcome)²): 0 is perfect, 0.25 is what
always answering 5/10 scores. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from sightline.insights.history import CheckInFacts, effective

# Mean confidence further than this from the hit rate (one confidence point) reads as over/under-confident.
TOLERANCE = 0.10


class Tendency(StrEnum):
    over_confident = "over_confident"
    under_confident = "under_confident"
    calibrated = "calibrated"


@dataclass(frozen=True)
class Forecast:
    key_result_id: UUID
    owner_id: UUID
    team_id: UUID | None
    confidence: int
    at: datetime
    hit: bool

    @property
    def probability(self) -> float:
        return self.confidence / 10


@dataclass(frozen=True)
class Calibration:
    forecasts: int
    key_results: int
    brier: float | None
    mean_confidence: float | None  # as a probability, 0–1
    hit_rate: float | None  # share of these forecasts whose key result hit
    bias: float | None  # mean_confidence − hit_rate: positive = over-confident
    tendency: Tendency | None


def forecasts_of(
    check_ins: Sequence[CheckInFacts],
    *,
    owner_id: UUID,
    team_id: UUID | None,
    hit: bool,
    until: datetime | None = None,
) -> list[Forecast]:
    """Every confidence given on a key result's history (corrected values replaced), up to `until`."""
    return [
        Forecast(
            key_result_id=c.key_result_id,
            owner_id=owner_id,
            team_id=team_id,
            confidence=c.confidence,
            at=c.checked_in_at,
            hit=hit,
        )
        for c in effective(check_ins)
        if c.confidence is not None and (until is None or c.checked_in_at <= until)
    ]


def latest_only(forecasts: Sequence[Forecast]) -> list[Forecast]:
    """One forecast per key result: the latest (used for "confidence at mid-cycle only")."""
    latest: dict[UUID, Forecast] = {}
    for forecast in forecasts:
        if forecast.key_result_id not in latest or forecast.at >= latest[forecast.key_result_id].at:
            latest[forecast.key_result_id] = forecast
    return list(latest.values())


def brier(forecasts: Sequence[Forecast]) -> float | None:
    if not forecasts:
        return None
    return math.fsum((f.probability - (1.0 if f.hit else 0.0)) ** 2 for f in forecasts) / len(forecasts)


def calibrate(forecasts: Sequence[Forecast]) -> Calibration:
    if not forecasts:
        return Calibration(0, 0, None, None, None, None, None)
    mean_confidence = math.fsum(f.probability for f in forecasts) / len(forecasts)
    hit_rate = sum(1 for f in forecasts if f.hit) / len(forecasts)
    bias = mean_confidence - hit_rate
    if bias > TOLERANCE + 1e-9:
        tendency = Tendency.over_confident
    elif bias < -TOLERANCE - 1e-9:
        tendency = Tendency.under_confident
    else:
        tendency = Tendency.calibrated
    return Calibration(
        forecasts=len(forecasts),
        key_results=len({f.key_result_id for f in forecasts}),
        brier=brier(forecasts),
        mean_confidence=mean_confidence,
        hit_rate=hit_rate,
        bias=bias,
        tendency=tendency,
    )


K = TypeVar("K", bound=Hashable)


def calibrate_by(forecasts: Sequence[Forecast], key: Callable[[Forecast], K]) -> dict[K, Calibration]:
    groups: dict[K, list[Forecast]] = {}
    for forecast in forecasts:
        groups.setdefault(key(forecast), []).append(forecast)
    return {group: calibrate(items) for group, items in groups.items()}
