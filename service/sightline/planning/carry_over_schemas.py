"""API shapes of carry-over (POST /cycles/{id}/carry-over): the request, and the plan it answers with.

The preview (`dry_run`) and the real call answer the same shape; the preview's new ids are null.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from sightline.inputs import StrictInput
from sightline.okrs.schemas import Accumulation

MAX_OBJECTIVES = 500  # objectives carried by one request ("all" included)
MAX_KEY_RESULTS = 100  # key results named for one objective

SkipReason = Literal[
    "already_carried",
    "archived",
    "not_found",
    "not_in_source_cycle",
    "not_in_objective",
    "team_archived",
    "owner_inactive",
    "invalid_values",
    "other_end_not_carried",
    "would_close_loop",
    "finished",
    "target_cycle_closed",
]


class CarryOverPick(StrictInput):
    objective_id: UUID
    key_result_ids: Annotated[list[UUID], Field(max_length=MAX_KEY_RESULTS)] | None = Field(
        None, description="The key results to carry; default: every key result of the objective not archived"
    )


class CarryOverRequest(StrictInput):
    source_cycle_id: UUID | None = Field(
        None, description="The cycle carried from; required with objectives `all`, else the first objective's cycle"
    )
    objectives: Annotated[list[CarryOverPick], Field(min_length=1, max_length=MAX_OBJECTIVES)] | Literal["all"] = Field(
        description="The objectives to carry (each with some or all of its key results), or `all`"
    )
    include_initiatives: bool = Field(
        False, description="Move unfinished initiatives (planned, in progress) to the carried key results"
    )
    dry_run: bool = Field(False, description="Preview: answer what would be created and skipped, change nothing")


class CarriedKeyResult(BaseModel):
    carried_from: UUID
    id: UUID | None = Field(description="The new key result; null in a preview")
    title: str
    accumulation: Accumulation
    start_value: float = Field(description="cumulative: the original start value; level: where it ended")
    target_value: float
    stretch_value: float | None
    previous_value: float = Field(description="The value the original reached: the baseline of ambition")


class CarriedObjective(BaseModel):
    carried_from: UUID
    id: UUID | None = Field(description="The new objective (null in a preview), or the earlier copy's id")
    created: bool = Field(description="false: carried before; only its newly carried key results are added")
    title: str
    key_results: list[CarriedKeyResult]


class CarriedAlignment(BaseModel):
    carried_from: UUID = Field(description="The original alignment link")
    id: UUID | None = Field(description="The new link; null in a preview")
    child_objective_id: UUID | None = Field(description="In the target cycle; null in a preview when new")
    parent_objective_id: UUID | None
    parent_key_result_id: UUID | None


class MovedLink(BaseModel):
    from_key_result_id: UUID
    to_key_result_id: UUID | None = Field(description="The carried key result; null in a preview when new")


class MovedInitiative(BaseModel):
    initiative_id: UUID
    title: str
    links: list[MovedLink]


class CarryOverSkip(BaseModel):
    kind: Literal["objective", "key_result", "alignment", "initiative"]
    source_id: UUID
    reason: SkipReason
    detail: str


class CarryOverResult(BaseModel):
    """What a carry-over created (or, in a preview, would create) and what it did not, with why."""

    dry_run: bool
    source_cycle_id: UUID
    target_cycle_id: UUID
    objectives: list[CarriedObjective]
    alignments: list[CarriedAlignment]
    initiatives: list[MovedInitiative]
    skipped: list[CarryOverSkip]
