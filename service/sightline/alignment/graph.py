"""The alignment graph as the API shows it: objective nodes with their roll-up, and links.

Loading the graph and rolling progress up through it is `sightline.okrs.subgraph` (objectives take their
progress from aligned children, so OKRs own the roll-up).
"""

from __future__ import annotations

from typing import Any

from sightline.alignment.schemas import AlignmentPublic, ObjectiveNode
from sightline.okrs.derive import Rollup
from sightline.okrs.models import Objective
from sightline.okrs.subgraph import LinkRow


def node_fields(objective: Objective, r: Rollup) -> dict[str, Any]:
    """An ObjectiveNode's fields (JSON values but for the status member, which orjson writes as its value)."""
    return {
        "id": objective.id,
        "cycle_id": objective.cycle_id,
        "title": objective.title,
        "level": objective.level,
        "team_id": objective.team_id,
        "owner_id": objective.owner_id,
        "kind": objective.kind,
        "state": objective.state,
        "progress_from": objective.progress_from,
        "progress": r.progress,
        "expected_progress": r.expected_progress,
        "score": r.score,
        "status": r.status,
    }


def node(objective: Objective, r: Rollup) -> ObjectiveNode:
    return ObjectiveNode.model_validate(node_fields(objective, r))


def link_public(link: LinkRow) -> AlignmentPublic:
    return AlignmentPublic.model_validate(link, from_attributes=True)
