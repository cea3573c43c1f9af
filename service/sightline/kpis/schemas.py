"""API shapes of KPIs and their values."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from sightline.inputs import IsoAwareDateTime, Label, LongText, Name, StrictInput
from sightline.kpis.status import KpiDirection, KpiStatus
from sightline.okrs.schemas import SourceLabel, Value
from sightline.scoring import Cadence
from sightline.timestamps import UtcDateTime

DIRECTION = "higher_is_better (needs healthy_min) or lower_is_better (needs healthy_max)"
HEALTHY_MIN = "Lowest healthy value (inclusive); below it the KPI warns"
HEALTHY_MAX = "Highest healthy value (inclusive); above it the KPI warns"
CRITICAL_MIN = "Below this the KPI is critical (at most healthy_min); without it, low values only warn"
CRITICAL_MAX = "Above this the KPI is critical (at least healthy_max); without it, high values only warn"


class KpiCreate(StrictInput):
    name: Name
    description: LongText = ""
    unit: Label = ""
    direction: KpiDirection = Field(description=DIRECTION)
    owner_id: UUID | None = Field(None, description="A member; defaults to the caller")
    team_id: UUID | None = None
    healthy_min: Value | None = Field(None, description=HEALTHY_MIN)
    healthy_max: Value | None = Field(None, description=HEALTHY_MAX)
    critical_min: Value | None = Field(None, description=CRITICAL_MIN)
    critical_max: Value | None = Field(None, description=CRITICAL_MAX)
    cadence: Cadence = Field(Cadence.monthly, description="How often a value is expected")


class KpiUpdate(StrictInput):
    name: Name | None = None
    description: LongText | None = None
    unit: Label | None = None
    direction: KpiDirection | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = Field(None, description="null: no team")
    healthy_min: Value | None = Field(None, description=HEALTHY_MIN)
    healthy_max: Value | None = Field(None, description=HEALTHY_MAX)
    critical_min: Value | None = Field(None, description=CRITICAL_MIN)
    critical_max: Value | None = Field(None, description=CRITICAL_MAX)
    cadence: Cadence | None = None
    archived: bool | None = Field(None, description="false restores an archived KPI")


class KpiPublic(BaseModel):
    id: UUID
    name: str
    description: str
    unit: str
    direction: KpiDirection
    owner_id: UUID
    team_id: UUID | None
    healthy_min: float | None
    healthy_max: float | None
    critical_min: float | None
    critical_max: float | None
    cadence: Cadence
    latest_value: float | None = Field(description="The value with the latest recorded_at; null without values")
    latest_recorded_at: UtcDateTime | None
    status: KpiStatus | None = Field(description="From the latest value and the range; null without values")
    archived: bool
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class KpiValueCreate(StrictInput):
    value: Value
    recorded_at: IsoAwareDateTime | None = Field(
        None, description="The time point the value is for (default now; never in the future); one value per point"
    )
    note: LongText = ""
    source: SourceLabel | None = Field(None, description="Defaults to manual (session) or api (API key)")


class KpiValuePublic(BaseModel):
    id: UUID
    kpi_id: UUID
    value: float
    recorded_at: UtcDateTime
    note: str
    author_id: UUID | None
    actor: str
    source: str
    created_at: UtcDateTime


class KpiStatusCounts(BaseModel):
    """KPIs (not archived) by status: the scoreboard's KPI panel."""

    total: int
    healthy: int
    warning: int
    critical: int
    no_value: int = Field(description="KPIs without any value yet")
