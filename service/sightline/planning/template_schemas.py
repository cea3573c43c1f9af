"""API shapes of templates: a template's key results, saving one, the template as read, applying it."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from sightline.inputs import Label, LongText, Name, StrictInput
from sightline.okrs.schemas import Kind, Level, NotBool, Value
from sightline.planning.library import Accumulation, Category
from sightline.scoring import Direction, Metric
from sightline.timestamps import UtcDateTime

MAX_KEY_RESULTS = 20  # key results in one template
TemplateSource = Literal["builtin", "organisation"]
Weight = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False), NotBool]
KeyResultIndex = Annotated[int, Field(ge=0, lt=MAX_KEY_RESULTS)]
# The keys of `targets` and `starts`, said in the contract (JSON object keys are strings).
INDEX_KEYS: JsonDict = {"propertyNames": {"pattern": "^(1?[0-9])$"}}
ACCUMULATION = (
    "How it counts: cumulative (a count for the cycle, such as leads, starting from its start value) or level (a "
    "level read at a moment, such as a rate)"
)


class TemplateKeyResultCreate(StrictInput):
    title: Name
    metric: Metric = Metric.number
    unit: Label = ""
    direction: Direction = Direction.increase
    accumulation: Accumulation = Field("cumulative", description=ACCUMULATION)
    start_value: Value = 0
    target_value: Value = Field(description="The suggested target; applying the template may replace it")
    stretch_value: Value | None = None
    weight: Weight = 1.0
    target_hint: LongText = Field("", description="How to size the target")
    how_to_measure: LongText = Field("", description="What to count and where")


class TemplateKeyResultPublic(BaseModel):
    title: str
    metric: Metric
    unit: str
    direction: Direction
    accumulation: Accumulation = Field(description=ACCUMULATION)
    start_value: float
    target_value: float = Field(description="The suggested target")
    stretch_value: float | None
    weight: float
    target_hint: str
    how_to_measure: str


class TemplateCreate(StrictInput):
    """Save an objective (with its live key results) as a template, or describe one in the body."""

    objective_id: UUID | None = Field(
        None, description="Save this objective with its live key results; or give title and key_results"
    )
    title: Name | None = Field(None, description="Required without objective_id; else defaults to its title")
    description: LongText | None = Field(None, description="Defaults to the objective's description")
    category: Category = "other"
    key_results: list[TemplateKeyResultCreate] | None = Field(
        None, min_length=1, max_length=MAX_KEY_RESULTS, description="Required without objective_id"
    )


class TemplatePublic(BaseModel):
    id: UUID = Field(description="Built-in templates have the same fixed id in every organisation")
    source: TemplateSource = Field(description="builtin (the library, read-only) or organisation (saved here)")
    slug: str | None = Field(description="A built-in's name in the library, e.g. demand-generation")
    category: Category
    title: str
    description: str
    key_results: list[TemplateKeyResultPublic]
    source_objective_id: UUID | None = Field(description="The objective it was saved from, while it exists")
    created_by: UUID | None = Field(description="The member who saved it")
    created_at: UtcDateTime | None = Field(description="null for built-in templates")


class TemplateApply(StrictInput):
    """Create an objective and its key results from a template, in one transaction."""

    cycle_id: UUID
    level: Level
    team_id: UUID | None = Field(None, description="Required unless the level is company")
    owner_id: UUID | None = Field(None, description="Defaults to the caller; the key results' owner too")
    parent_objective_id: UUID | None = Field(None, description="Align the new objective under this one")
    title: Name | None = Field(None, description="Defaults to the template's title")
    kind: Kind = "committed"
    state: Literal["draft", "active"] = "active"
    targets: dict[KeyResultIndex, Value] = Field(
        default_factory=dict,
        max_length=MAX_KEY_RESULTS,
        json_schema_extra=INDEX_KEYS,
        description="Target per key result, by its index in the template (0 first); the others keep the "
        "suggested target. A replaced target drops the template's stretch value.",
    )
    starts: dict[KeyResultIndex, Value] = Field(
        default_factory=dict,
        max_length=MAX_KEY_RESULTS,
        json_schema_extra=INDEX_KEYS,
        description="Start value per key result, by index (e.g. your current conversion rate)",
    )
