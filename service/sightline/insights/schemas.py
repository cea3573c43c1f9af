"""API shapes of the insights: scoreboard, ambition, honesty, grades, retrospective, health, review, import."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from sightline.alignment.coverage import CoverageSummary
from sightline.initiatives.schemas import MoneyText
from sightline.inputs import IsoDateTime, LongText, StrictInput
from sightline.insights.ambition import AmbitionFlag
from sightline.insights.grades import GradeFlag
from sightline.insights.signal_schemas import CalibrationReport, PersonSignals, SignalCounts, SignalPublic, TeamSignals
from sightline.kpis.schemas import KpiStatusCounts
from sightline.okrs.schemas import Kind, Level, ObjectiveState
from sightline.scoring import Status
from sightline.timestamps import UtcDateTime

SIGNALS_NOT_VERDICTS = (
    "These are signals for a conversation, never verdicts: each pattern has innocent explanations "
    "(a late deal, a data fix, an import), and the numbers only say where to ask."
)


# Scoreboard --------------------------------------------------------------------------------------
class StatusCounts(BaseModel):
    done: int = 0
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    no_data: int = 0


class ScoreboardObjective(BaseModel):
    id: UUID
    cycle_id: UUID
    inherited: bool = Field(
        False, description="An objective of a cycle enclosing the one asked for (the year of a quarter)"
    )
    title: str
    level: Level
    kind: Kind
    state: ObjectiveState
    owner_id: UUID
    owner_name: str
    team_id: UUID | None
    progress: float | None = Field(description="Weighted mean of clamped key-result progress; null without any")
    expected_progress: float | None
    score: float | None
    status: Status
    latest_confidence: int | None = Field(description="Confidence of the most recent check-in on any key result")
    lowest_confidence: int | None = Field(description="The lowest latest confidence among its key results")
    last_check_in_at: UtcDateTime | None
    key_result_count: int
    key_results_by_status: StatusCounts


class ScoreboardTeam(BaseModel):
    team_id: UUID | None = Field(description="null for company-level objectives")
    name: str
    parent_id: UUID | None
    objectives: list[ScoreboardObjective]
    objectives_by_status: StatusCounts


class ComplianceFigures(BaseModel):
    key_results: int
    on_time: int = Field(description="Checked in within their cadence period (+2 days of grace)")
    share: float | None = Field(description="on_time / key_results; null without key results")


class TeamCompliance(ComplianceFigures):
    team_id: UUID | None
    name: str


class PersonCompliance(ComplianceFigures):
    user_id: UUID
    name: str


class CompliancePublic(BaseModel):
    as_of: UtcDateTime = Field(description="Now, or the cycle's end once it is over")
    overall: ComplianceFigures
    teams: list[TeamCompliance]
    people: list[PersonCompliance]


class ScoreboardTotals(BaseModel):
    objectives: StatusCounts
    key_results: StatusCounts


class ScoreboardPublic(BaseModel):
    cycle_id: UUID
    cycle_name: str
    cycle_state: str
    as_of: UtcDateTime
    teams: list[ScoreboardTeam]
    totals: ScoreboardTotals
    compliance: CompliancePublic
    kpis: KpiStatusCounts = Field(description="Active KPIs (of the team asked for, if any) by status")


# Ambition ----------------------------------------------------------------------------------------
class AmbitionFigures(BaseModel):
    key_results: int
    with_baseline: int = Field(description="Key results whose ambition can be computed (a previous value)")
    mean_ambition: float | None
    mean_stretch_ambition: float | None
    low_ambition: int
    no_baseline: int
    hit_early: int
    sandbagging_suspect: int


class TeamAmbition(AmbitionFigures):
    team_id: UUID | None
    name: str


class KeyResultAmbition(BaseModel):
    key_result_id: UUID
    title: str
    owner_id: UUID
    team_id: UUID | None
    kind: Kind
    previous_value: float | None
    start_value: float
    target_value: float
    stretch_value: float | None
    ambition: float | None = Field(description="(target − start)/(previous − start) − 1; null without a baseline")
    stretch_ambition: float | None
    hit_at: UtcDateTime | None = Field(description="When reported values first reached the target")
    flags: list[AmbitionFlag]


class AmbitionReport(BaseModel):
    low_ambition_threshold: float
    cycle: AmbitionFigures
    teams: list[TeamAmbition]
    key_results: list[KeyResultAmbition]


# Honesty (its rows, and calibration, are in insights/signal_schemas.py) --------------------------------
class HonestyReport(BaseModel):
    note: str = Field(SIGNALS_NOT_VERDICTS, description="How to read these numbers")
    cycle: SignalCounts
    teams: list[TeamSignals]
    people: list[PersonSignals]
    signals: list[SignalPublic]


# Grades ------------------------------------------------------------------------------------------
class GradeBin(BaseModel):
    low: float
    high: float
    count: int


class GradeDistribution(BaseModel):
    kind: Kind
    key_results: int
    mean_score: float | None
    mean_progress: float | None = Field(description="Mean progress clamped to 0–1: how much of the targets landed")
    hit_rate: float | None
    bins: list[GradeBin]
    flags: list[GradeFlag]


class KeyResultGradePublic(BaseModel):
    key_result_id: UUID
    title: str
    objective_id: UUID
    owner_id: UUID
    team_id: UUID | None
    kind: Kind
    final_value: float
    progress: float
    score: float
    hit: bool
    hit_at: UtcDateTime | None
    final_confidence: int | None
    ambition: float | None
    stretch_ambition: float | None
    graded_at: UtcDateTime


class ObjectiveGrade(BaseModel):
    objective_id: UUID
    title: str
    level: Level
    kind: Kind
    team_id: UUID | None
    owner_id: UUID
    key_results: int
    progress: float | None
    score: float | None


class RetrospectivePublic(BaseModel):
    cycle_id: UUID
    cycle_name: str
    start_date: str
    end_date: str
    closed_at: UtcDateTime
    closed_by: str
    key_results: int
    hit: int
    grade_distribution: list[GradeDistribution]
    objectives: list[ObjectiveGrade]
    calibration: CalibrationReport
    ambition: AmbitionReport = Field(description="Summaries and the key results with an ambition flag")
    honesty: HonestyReport
    coverage: CoverageSummary | None = Field(
        None,
        description="Line of sight and spend per objective at the close (absent for older closes)",
    )


# Health ------------------------------------------------------------------------------------------
class HealthPublic(BaseModel):
    cycle_id: UUID
    cycle_name: str
    cycle_state: str
    as_of: UtcDateTime
    note: str = SIGNALS_NOT_VERDICTS
    ambition: AmbitionReport = Field(description="Summaries and the key results with an ambition flag")
    honesty: HonestyReport
    compliance: CompliancePublic
    coverage: CoverageSummary = Field(description="Line of sight and spend; for a closed cycle, as at its close")
    calibration: CalibrationReport | None = Field(description="Once the cycle is closed")
    grade_distribution: list[GradeDistribution] | None = Field(description="Once the cycle is closed")


# Review ------------------------------------------------------------------------------------------
ReviewReason = Literal["off_track", "at_risk", "confidence_drop", "missing_check_in"]
Decision = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class AgendaItem(BaseModel):
    key_result_id: UUID
    title: str
    objective_id: UUID
    objective_title: str
    cycle_id: UUID
    owner_id: UUID
    owner_name: str
    status: Status
    progress: float
    expected_progress: float
    latest_confidence: int | None
    confidence_at_since: int | None = Field(description="The latest confidence known at `since`")
    confidence_drop: int | None = Field(description="Points lost since `since` (positive = dropped)")
    last_check_in_at: UtcDateTime | None
    reasons: list[ReviewReason]
    severity: float = Field(description="Higher first; see the review rules in the insights documentation")


class ReviewItemRecord(BaseModel):
    """One key result talked about in a recorded review: how it stood when the review was recorded, and what the
    team said and decided about it."""

    key_result_id: UUID
    title: str
    objective_id: UUID
    objective_title: str
    owner_name: str
    status: Status
    progress: float
    latest_confidence: int | None
    note: str
    decisions: list[str]


class TeamReviewPublic(BaseModel):
    id: UUID
    team_id: UUID
    team_name: str
    held_at: UtcDateTime
    since: UtcDateTime
    notes: str
    decisions: list[str]
    items: list[ReviewItemRecord] = Field(description="The key results discussed, in agenda order, with notes")
    author_id: UUID | None
    actor: str
    created_at: UtcDateTime


class NewUnalignedInitiative(BaseModel):
    id: UUID
    title: str
    kind: str
    state: str
    owner_id: UUID
    owner_name: str
    team_id: UUID | None
    created_at: UtcDateTime
    currency: str
    planned_budget: MoneyText
    actual_spend: MoneyText


class ReviewAgenda(BaseModel):
    team_id: UUID
    team_name: str
    include_sub_teams: bool
    since: UtcDateTime
    since_from: Literal["query", "previous_review", "default"]
    as_of: UtcDateTime
    key_results_reviewed: int
    items: list[AgendaItem]
    new_unaligned_initiatives: list[NewUnalignedInitiative] = Field(
        description="The team's initiatives created since `since` that move no key result (dropped ones left out), "
        "oldest first: align them, or ask what they are for"
    )
    previous_review: TeamReviewPublic | None


class ReviewItemNote(StrictInput):
    key_result_id: UUID = Field(description="A key result of the organisation (usually one on the agenda)")
    note: LongText = ""
    decisions: list[Decision] = Field(default_factory=list, max_length=20)


class TeamReviewCreate(StrictInput):
    notes: LongText = ""
    decisions: list[Decision] = Field(default_factory=list, max_length=100)
    items: list[ReviewItemNote] = Field(
        default_factory=list,
        max_length=200,
        description="Per key result discussed: a note and decisions, in the order given (each key result once). "
        "The record keeps the key result's title, status, progress and confidence as they are when recorded",
    )
    held_at: IsoDateTime | None = Field(None, description="Defaults to now; never in the future")
    since: IsoDateTime | None = Field(
        None, description="Start of the reviewed window; defaults to the previous review (or 7 days before)"
    )


# Import ------------------------------------------------------------------------------------------
# No length of its own: the request body limit (SIGHTLINE_MAX_BODY_BYTES, 1 MB by default, a 413 beyond)
# bounds the files, and the import reads at most 20,000 rows per file.
CsvText = str


class CycleImport(StrictInput):
    """CSV files as text, with the export's column names; see docs/readme/insights.md."""

    objectives_csv: CsvText | None = Field(None, description="Optional: objectives the key results refer to")
    key_results_csv: CsvText
    check_ins_csv: CsvText | None = Field(None, description="Optional: the key results' check-in history")


class ImportedRef(BaseModel):
    ref: str = Field(description="The `id` given in the file (a reference inside the import only)")
    id: UUID = Field(description="The id of the created row")


class CycleImportResult(BaseModel):
    objectives: list[ImportedRef]
    key_results: list[ImportedRef]
    check_ins: int
