"""API shapes of the OKR core (Create / Update with every field optional / Public per resource)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from sightline.errors import FieldError
from sightline.inputs import IsoDate, IsoDateTime, Label, LongText, Name, Reason, StrictInput
from sightline.scoring import Cadence, Direction, Metric, Status
from sightline.timestamps import UtcDateTime


def _not_a_boolean(value: object) -> object:
    # Lax parsing would read true/false as 1/0; a number field takes numbers (CSV import passes text).
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


# Put it AFTER the Field in an Annotated: it still runs first (a before-validator wraps what precedes it), and the
# Field's limits stay JSON Schema keywords (minimum, maximum…). Before the Field, pydantic applies the limits as a
# separate check and leaks them into the schema as `ge`/`le`/`gt`, which no client understands.
NotBool = BeforeValidator(_not_a_boolean)
Value = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15), NotBool]
Confidence = Annotated[int, Field(ge=0, le=10, description="0–10: how likely the target is hit by cycle end"), NotBool]
Level = Literal["company", "team", "individual"]
Kind = Literal["committed", "aspirational"]
ObjectiveState = Literal["draft", "active", "closed", "archived"]
ProgressFrom = Literal["key_results", "children", "both"]
CycleState = Literal["planning", "active", "closed"]
ExternalKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
BATCH_LIMIT = 1000  # items in one batch of check-ins
SourceLabel = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")]
Accumulation = Literal["cumulative", "level"]
ACCUMULATION = (
    "How a carry-over into the next cycle starts it: cumulative (a count such as leads starts again from its start "
    "value) or level (a level such as ARR starts where it ended)"
)
CARRIED_FROM = "Read-only: the original this one was carried over from (POST /cycles/{id}/carry-over)"


# Teams -------------------------------------------------------------------------------------------
class TeamCreate(StrictInput):
    name: Name
    parent_id: UUID | None = None
    lead_id: UUID | None = None
    member_ids: list[UUID] = Field(default_factory=list, max_length=500)


class TeamUpdate(StrictInput):
    name: Name | None = None
    parent_id: UUID | None = Field(None, description="null makes it a top-level team")
    lead_id: UUID | None = None
    member_ids: list[UUID] | None = Field(None, max_length=500, description="Replaces the member list")


class TeamPublic(BaseModel):
    id: UUID
    name: str
    parent_id: UUID | None
    lead_id: UUID | None
    member_ids: list[UUID]
    archived: bool
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


# Cycles ------------------------------------------------------------------------------------------
class CycleCreate(StrictInput):
    name: Name
    start_date: IsoDate = Field(description="Between 1900-01-01 and 2200-12-31")
    end_date: IsoDate = Field(description="Inclusive: the cycle ends at the end of this day; at most 5 years on")
    parent_id: UUID | None = Field(None, description="e.g. the year of a quarter; must contain these dates")
    state: Literal["planning", "active"] = "planning"


class CycleUpdate(StrictInput):
    name: Name | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    parent_id: UUID | None = None
    state: Literal["planning", "active"] | None = Field(
        None, description="Only forward: planning → active. Close with POST /cycles/{id}/close (it grades)"
    )


class CyclePublic(BaseModel):
    id: UUID
    name: str
    start_date: date  # not IsoDate: a cycle stored before input was bounded must still be readable
    end_date: date
    parent_id: UUID | None
    state: CycleState
    closed_at: UtcDateTime | None
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


# Key results -------------------------------------------------------------------------------------
class MilestonePoint(StrictInput):
    date: IsoDate
    value: Value


class KeyResultCreate(StrictInput):
    objective_id: UUID
    title: Name
    owner_id: UUID | None = Field(None, description="Defaults to the objective's owner")
    metric: Metric = Metric.number
    unit: Label = ""
    direction: Direction = Direction.increase
    start_value: Value = 0
    target_value: Value
    stretch_value: Value | None = None
    previous_value: Value | None = Field(None, description="What the previous comparable period achieved")
    weight: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False), NotBool] = 1.0
    accumulation: Accumulation = Field("cumulative", description=ACCUMULATION)
    cadence: Cadence | None = Field(None, description="Defaults to the organisation's default cadence")
    milestone_plan: list[MilestonePoint] = Field(default_factory=list, max_length=366)
    data_source: SourceLabel = "manual"
    external_key: ExternalKey | None = Field(None, description="Your tool's id, usable in batch check-ins")
    follows_kpi_id: UUID | None = Field(
        None,
        description="A KPI to follow: its latest value in the cycle, then every new one, is checked in here",
    )


class KeyResultUpdate(StrictInput):
    title: Name | None = None
    owner_id: UUID | None = None
    metric: Metric | None = None
    unit: Label | None = None
    direction: Direction | None = None
    start_value: Value | None = None
    target_value: Value | None = None
    stretch_value: Value | None = None
    previous_value: Value | None = None
    weight: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False), NotBool] | None = None
    accumulation: Accumulation | None = None
    cadence: Cadence | None = None
    milestone_plan: list[MilestonePoint] | None = Field(None, max_length=366)
    data_source: SourceLabel | None = None
    external_key: ExternalKey | None = None
    follows_kpi_id: UUID | None = Field(
        None,
        description="A KPI to follow (its latest value in the cycle is checked in at once); null: stop following",
    )


class KeyResultPublic(BaseModel):
    id: UUID
    objective_id: UUID
    title: str
    owner_id: UUID
    metric: Metric
    unit: str
    direction: Direction
    start_value: float
    target_value: float
    stretch_value: float | None
    previous_value: float | None
    weight: float
    accumulation: Accumulation = Field("cumulative", description=ACCUMULATION)
    carried_from: UUID | None = Field(None, description=CARRIED_FROM)
    cadence: Cadence
    milestone_plan: list[MilestonePoint]
    data_source: str = Field(description="manual, api, or the name of the integration pulling its values")
    data_source_status: Literal["pending", "ok", "failing"] | None = Field(
        None, description="With an integration: pending (not run yet), ok, or failing (see data_source_error)"
    )
    data_source_error: str | None = Field(None, description="Why the integration's last run failed")
    data_source_checked_at: UtcDateTime | None = Field(None, description="When the integration last ran")
    external_key: str | None
    follows_kpi_id: UUID | None = Field(
        None,
        description="The KPI followed: its latest value in the cycle when"
        " following began, then every new one, was checked in",
    )
    archived: bool
    current_value: float
    progress: float = Field(description="(current − start)/(target − start); may leave [0, 1]")
    score: float = Field(description="0.0–1.0 grade; with a stretch, the target scores 0.7")
    status: Status
    latest_confidence: int | None
    last_check_in_at: UtcDateTime | None
    expected_value: float = Field(description="Where the plan says the value should be now")
    expected_progress: float
    stale: bool = Field(description="No check-in within the cadence period plus 2 days of grace")
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


# Objectives --------------------------------------------------------------------------------------
class ObjectiveCreate(StrictInput):
    cycle_id: UUID
    title: Name
    description: LongText = ""
    level: Level
    team_id: UUID | None = Field(None, description="Required unless the level is company")
    owner_id: UUID | None = Field(None, description="Defaults to the caller")
    kind: Kind = "committed"
    state: Literal["draft", "active"] = "active"
    progress_from: ProgressFrom = "key_results"


class ObjectiveUpdate(StrictInput):
    title: Name | None = None
    description: LongText | None = None
    level: Level | None = None
    team_id: UUID | None = None
    owner_id: UUID | None = None
    kind: Kind | None = None
    state: ObjectiveState | None = None
    progress_from: ProgressFrom | None = None


class ObjectivePublic(BaseModel):
    id: UUID
    cycle_id: UUID
    title: str
    description: str
    level: Level
    team_id: UUID | None
    owner_id: UUID
    kind: Kind
    state: ObjectiveState
    carried_from: UUID | None = Field(None, description=CARRIED_FROM)
    progress_from: ProgressFrom
    progress: float | None = Field(description="Weighted mean of clamped key-result progress; null without any")
    expected_progress: float | None
    score: float | None = Field(description="Weighted mean of key-result scores")
    status: Status
    key_results: list[KeyResultPublic]
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ObjectiveRollupPublic(BaseModel):
    """An objective's rolled-up numbers (the data of `objective.status_changed`)."""

    id: UUID
    cycle_id: UUID
    title: str
    progress: float | None
    expected_progress: float | None
    score: float | None
    status: Status


# Check-ins ---------------------------------------------------------------------------------------
class CheckInCreate(StrictInput):
    key_result_id: UUID
    value: Value
    confidence: Confidence | None = None
    note: LongText = ""
    checked_in_at: IsoDateTime | None = Field(
        None, description="Backdate inside the cycle (flagged as backdated); never in the future"
    )
    corrects: UUID | None = Field(None, description="Id of an earlier check-in of this key result to correct")
    reason: Reason | None = Field(None, description="Required with `corrects`")
    source: SourceLabel | None = Field(None, description="Defaults to manual (session) or api (API key)")


class CheckInBatchItem(StrictInput):
    key_result_id: UUID | None = Field(None, description="The key result, or give its external_key")
    external_key: ExternalKey | None = None
    value: Value
    confidence: Confidence | None = None
    note: LongText = ""
    checked_in_at: IsoDateTime | None = None


class CheckInBatch(StrictInput):
    items: list[CheckInBatchItem] = Field(min_length=1, max_length=BATCH_LIMIT)
    source: SourceLabel | None = None
    # Each item is validated on its own (docs/concepts.md, decision api-batch-errors): an item whose own
    # fields are malformed is set aside with its errors, so the service can still check the rules of the
    # others and answer one 422 naming every bad item. `items` holds the well-formed ones, `_positions` their
    # index in the request, `_malformed` the errors of the others (locations start with "body").
    _positions: list[int] = PrivateAttr(default_factory=list)
    _malformed: list[FieldError] = PrivateAttr(default_factory=list)
    _count: int = PrivateAttr(default=0)

    @model_validator(mode="wrap")
    @classmethod
    def _each_item_on_its_own(cls, data: Any, handler: ModelWrapValidatorHandler[CheckInBatch]) -> CheckInBatch:
        raw = data.get("items") if isinstance(data, dict) else None
        if not isinstance(raw, list) or not 1 <= len(raw) <= BATCH_LIMIT:
            return handler(data)  # the envelope itself is wrong: pydantic's own errors say how
        good: list[CheckInBatchItem] = []
        positions: list[int] = []
        malformed: list[FieldError] = []
        for index, item in enumerate(raw):
            try:
                good.append(item if isinstance(item, CheckInBatchItem) else CheckInBatchItem.model_validate(item))
            except ValidationError as error:
                malformed += [
                    FieldError(("body", "items", index, *e["loc"]), e["msg"], e["type"]) for e in error.errors()
                ]
            else:
                positions.append(index)
        if not good:
            return handler(data)  # nothing well-formed: pydantic names every item's errors itself
        try:
            batch = handler({**data, "items": good})
        except ValidationError:
            return handler(data)  # the envelope is wrong too: every error pydantic finds, items included
        batch._positions, batch._malformed, batch._count = positions, malformed, len(raw)
        return batch

    def indexed_items(self) -> list[tuple[int, CheckInBatchItem]]:
        """The well-formed items with their index in the request."""
        positions = self._positions or list(range(len(self.items)))
        return list(zip(positions, self.items, strict=True))

    @property
    def malformed(self) -> list[FieldError]:
        """Errors of the items set aside as malformed (empty when every item was well-formed)."""
        return self._malformed

    @property
    def count(self) -> int:
        """How many items the request held, malformed ones included."""
        return self._count or len(self.items)


class CheckInPublic(BaseModel):
    id: UUID
    key_result_id: UUID
    value: float
    confidence: int | None
    note: str
    author_id: UUID | None
    actor: str
    source: str
    checked_in_at: UtcDateTime
    created_at: UtcDateTime
    backdated: bool = Field(description="Recorded more than an hour after the time it reports")
    corrects: UUID | None
    reason: str | None
    corrected_by: UUID | None = Field(None, description="Set when a later correction replaced this value")


class CheckInBatchResult(BaseModel):
    items: list[CheckInPublic]
