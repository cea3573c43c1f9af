"""API shapes of the signals about how a cycle was checked in: the rows of the honesty report, and calibration.

The honesty report itself (with its note that these are signals, not verdicts) is in insights/schemas.py.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from sightline.insights.calibration import Tendency
from sightline.insights.honesty import SignalKind
from sightline.timestamps import UtcDateTime


# Honesty -----------------------------------------------------------------------------------------
class SignalCounts(BaseModel):
    total: int
    correction: int
    backdated: int
    late_jump: int
    flat_then_jump: int
    confidence_never_moved: int


class TeamSignals(SignalCounts):
    team_id: UUID | None
    name: str


class PersonSignals(SignalCounts):
    user_id: UUID
    name: str


class SignalPublic(BaseModel):
    kind: SignalKind
    key_result_id: UUID
    key_result_title: str
    owner_id: UUID
    team_id: UUID | None
    check_in_id: UUID | None
    at: UtcDateTime | None
    size: float | None = Field(description="Share of the target range, where a size means something")
    reason: str | None = Field(description="The reason given with a correction")
    detail: str


# Calibration -------------------------------------------------------------------------------------
class CalibrationFigures(BaseModel):
    forecasts: int = Field(description="Check-ins with a confidence")
    key_results: int
    brier: float | None = Field(description="Mean of (confidence/10 − outcome)²: 0 is perfect, 0.25 is always 5/10")
    mean_confidence: float | None = Field(description="Mean confidence/10")
    hit_rate: float | None = Field(description="Share of these forecasts whose key result hit its target")
    bias: float | None = Field(description="mean_confidence − hit_rate: above 0 over-confident")
    tendency: Tendency | None


class TeamCalibration(CalibrationFigures):
    team_id: UUID | None
    name: str


class PersonCalibration(CalibrationFigures):
    user_id: UUID
    name: str


class CalibrationView(BaseModel):
    overall: CalibrationFigures
    teams: list[TeamCalibration]
    people: list[PersonCalibration]


class CalibrationReport(BaseModel):
    every_check_in: CalibrationView
    mid_cycle: CalibrationView = Field(description="Only the latest confidence given by mid-cycle, per key result")
    mid_cycle_at: UtcDateTime
