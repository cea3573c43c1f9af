"""API shapes of alignment: links, trees, line of sight, the alignment map."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from sightline.initiatives.schemas import MoneyText
from sightline.inputs import StrictInput
from sightline.okrs.schemas import Kind, Level, NotBool, ObjectiveState, ProgressFrom
from sightline.scoring import Status
from sightline.timestamps import UtcDateTime

LinkKind = Literal["cascade", "contributes"]
Weight = Annotated[
    float, Field(gt=0, le=1, allow_inf_nan=False, description="Share of the parent claimed, (0, 1]"), NotBool
]


class AlignmentCreate(StrictInput):
    child_objective_id: UUID
    parent_objective_id: UUID | None = Field(None, description="Give this or parent_key_result_id")
    parent_key_result_id: UUID | None = None
    kind: LinkKind = "cascade"
    weight: Weight = 1.0


class AlignmentPublic(BaseModel):
    id: UUID
    child_objective_id: UUID
    parent_objective_id: UUID | None
    parent_key_result_id: UUID | None
    parent_node_id: UUID = Field(description="The parent objective, or the objective of the parent key result")
    kind: LinkKind
    weight: float
    created_at: UtcDateTime


class AlignmentCreated(AlignmentPublic):
    warnings: list[str] = Field(description="e.g. contributes weights claimed on one key result add up above 1")


class ObjectiveNode(BaseModel):
    """An objective as a node of the alignment graph, with its rolled-up numbers."""

    id: UUID
    cycle_id: UUID
    title: str
    level: Level
    team_id: UUID | None
    owner_id: UUID
    kind: Kind
    state: ObjectiveState
    progress_from: ProgressFrom
    progress: float | None
    expected_progress: float | None
    score: float | None
    status: Status


class TreeNode(ObjectiveNode):
    depth: int = Field(description="Shortest number of links from the root")


class Tree(BaseModel):
    root: ObjectiveNode
    nodes: list[TreeNode] = Field(description="Every descendant once (a DAG: a node may have several parents)")
    links: list[AlignmentPublic]


class Hop(BaseModel):
    link_id: UUID
    child: ObjectiveNode
    parent: ObjectiveNode
    via_key_result_id: UUID | None
    kind: LinkKind
    weight: float


StopReason = Literal["not_aligned", "aligned_to_archived_objective", "aligned_to_archived_key_result"]


class ObjectiveRef(BaseModel):
    id: UUID
    title: str
    level: Level


class ChainStop(BaseModel):
    """Where a chain of alignment stops short of the company, and why."""

    stops_at: ObjectiveRef = Field(description="The last live objective of the chain")
    reason: StopReason = Field(
        description="not_aligned: it has no parent; aligned_to_archived_objective / aligned_to_archived_key_result: "
        "its parent (the objective, or the key result it serves) is archived, so the chain counts for nothing above"
    )


class LineOfSightPath(BaseModel):
    hops: list[Hop] = Field(description="From the objective upwards")
    contribution: float = Field(description="Product of the hop weights: the share of the top it accounts for")
    reaches_company: bool = Field(description="False where the chain breaks below company level")
    stops_at: ObjectiveRef | None = Field(
        None, description="Where the chain stops short of the company (null when it reaches it)"
    )
    stop_reason: StopReason | None = Field(None, description="Why it stops there (null when it reaches the company)")


class LineOfSight(BaseModel):
    objective: ObjectiveNode
    paths: list[LineOfSightPath]
    reaches_company: bool = Field(
        description="True when the objective is company-level or at least one path reaches a live company objective"
    )
    stops: list[ChainStop] = Field(
        description="Every place a chain from the objective stops short of the company, once each; for an "
        "objective aligned to nothing, the objective itself with reason not_aligned (and no paths)"
    )


class MapObjective(ObjectiveNode):
    spend: MoneyText = Field(description="Spend to date reaching its key results (for hover cards)")
    inherited: bool = Field(
        False, description="An objective of a cycle enclosing the one asked for (the year of a quarter)"
    )


class MapKeyResult(BaseModel):
    id: UUID
    objective_id: UUID
    title: str
    progress: float
    score: float
    status: Status
    current_value: float
    target_value: float
    unit: str
    spend: MoneyText = Field(description="Spend to date allocated to it by initiatives")


class MapEdge(BaseModel):
    id: UUID
    source: UUID = Field(description="The child objective")
    target: UUID = Field(description="The parent objective or key result")
    target_type: Literal["objective", "key_result"]
    kind: LinkKind
    weight: float


class AlignmentMap(BaseModel):
    cycle_ids: list[UUID] = Field(description="The cycle and every cycle overlapping it")
    currency: str
    objectives: list[MapObjective]
    key_results: list[MapKeyResult]
    edges: list[MapEdge]
