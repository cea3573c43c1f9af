"""What a carry-over creates, decided from what exists (no statements): new objective and key-result rows, the
alignment links to re-create, the initiative links to move, and every skip with its reason.

The preview and the real call run this same plan, so the preview is what the real call then does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID, uuid4

from sightline import scoring
from sightline.alignment.models import Alignment
from sightline.okrs.derive import Calendar, derive_stored
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.planning.carry_over_schemas import (
    CarriedAlignment,
    CarriedKeyResult,
    CarriedObjective,
    CarryOverRequest,
    CarryOverResult,
    CarryOverSkip,
    MovedInitiative,
    MovedLink,
    SkipReason,
)
from sightline.scoring import Direction, Metric

KEPT_SOURCES = ("manual", "api")  # an integration pulls values for the original only: the copy starts manual


@dataclass
class Existing:
    """The rows a carry-over reads, loaded in a fixed number of statements."""

    objectives: list[Objective]  # the source objectives, in request order
    picks: dict[UUID, list[UUID] | None]  # objective -> the key results asked for (None: every live one)
    key_results: dict[UUID, list[KeyResult]]  # source objective -> its key results, in creation order
    copies: dict[UUID, Objective]  # original objective -> its live copy in the target cycle
    kr_copies: dict[UUID, KeyResult]  # original key result -> its live copy in the target cycle
    links: list[Alignment]  # alignments with an end among the source objectives
    target_links: set[tuple[UUID, UUID | None, UUID | None]]  # (child, parent objective, parent kr) in target
    ancestors: dict[UUID, set[UUID]]  # child -> parent nodes, above the target's copies
    archived_teams: set[UUID]
    active_users: set[UUID]
    initiatives: list[Any]  # rows: initiative_id, title, state, key_result_id, share
    refused: list[CarryOverSkip] = field(default_factory=list)  # picks that are no objective of the source


@dataclass
class Plan:
    objectives: list[Objective] = field(default_factory=list)  # new rows
    key_results: list[KeyResult] = field(default_factory=list)  # new rows
    touched: list[Objective] = field(default_factory=list)  # copies and earlier copies, in answer order
    created: set[UUID] = field(default_factory=set)  # the new objectives' ids
    kr_map: dict[UUID, KeyResult] = field(default_factory=dict)  # original -> copy (new or earlier)
    links: list[tuple[Alignment, Alignment]] = field(default_factory=list)  # (original, new)
    moves: list[tuple[UUID, str, UUID, UUID, Decimal | None]] = field(default_factory=list)
    skipped: list[CarryOverSkip] = field(default_factory=list)

    def skip(self, kind: Any, source_id: UUID, reason: SkipReason, detail: str) -> None:
        self.skipped.append(CarryOverSkip(kind=kind, source_id=source_id, reason=reason, detail=detail))


def plan_objectives(existing: Existing, *, target: Calendar, now: datetime) -> Plan:
    """Copies of the objectives and key results asked for; what is copied already is reused, never twice."""
    plan = Plan(skipped=list(existing.refused))
    order = count()  # copies keep their originals' order: lists sort by creation time (then id)
    for original in existing.objectives:
        copy = existing.copies.get(original.id)
        if copy is None:
            reason = _objective_refusal(original, existing)
            if reason is not None:
                plan.skip("objective", original.id, reason[0], reason[1])
                continue
            copy = _objective_copy(original, target, now + timedelta(microseconds=next(order)))
            plan.objectives.append(copy)
            plan.created.add(copy.id)
        plan.touched.append(copy)
        for kr in _chosen(original, existing, plan):
            if (earlier := existing.kr_copies.get(kr.id)) is not None:
                plan.kr_map[kr.id] = earlier
                plan.skip("key_result", kr.id, "already_carried", f"carried before as key result {earlier.id}")
                continue
            new = _key_result_copy(kr, copy, existing, target, now + timedelta(microseconds=next(order)))
            if isinstance(new, str):
                plan.skip("key_result", kr.id, "invalid_values", new)
                continue
            plan.key_results.append(new)
            plan.kr_map[kr.id] = new
        if copy.id not in plan.created and not any(k.objective_id == copy.id for k in plan.key_results):
            plan.skip("objective", original.id, "already_carried", f"carried before as objective {copy.id}")
    return plan


def _objective_refusal(original: Objective, existing: Existing) -> tuple[SkipReason, str] | None:
    if original.state == "archived":
        return "archived", "the objective is archived"
    if original.team_id is not None and original.team_id in existing.archived_teams:
        return "team_archived", "the objective's team is archived"
    if original.owner_id not in existing.active_users:
        return "owner_inactive", "the objective's owner is no longer an active member"
    return None


def _chosen(original: Objective, existing: Existing, plan: Plan) -> list[KeyResult]:
    """The key results asked for: named ones in the order given, else every live one."""
    own = existing.key_results.get(original.id, [])
    names = existing.picks.get(original.id)
    if names is None:
        return [kr for kr in own if kr.archived_at is None]
    by_id = {kr.id: kr for kr in own}
    chosen: list[KeyResult] = []
    for kr_id in dict.fromkeys(names):
        kr = by_id.get(kr_id)
        if kr is None:
            plan.skip("key_result", kr_id, "not_in_objective", f"no key result {kr_id} in objective {original.id}")
        elif kr.archived_at is not None:
            plan.skip("key_result", kr_id, "archived", "the key result is archived")
        else:
            chosen.append(kr)
    return chosen


def _objective_copy(original: Objective, target: Calendar, now: datetime) -> Objective:
    return Objective(
        org_id=original.org_id,
        id=uuid4(),
        cycle_id=target.cycle.id,
        title=original.title,
        description=original.description,
        level=original.level,
        team_id=original.team_id,
        owner_id=original.owner_id,
        kind=original.kind,
        # Drafts while the cycle is planned: reviewed before it starts (docs/decisions/planning-carry-over.md).
        state="draft" if target.cycle.state == "planning" else "active",
        progress_from=original.progress_from,
        carried_from=original.id,
        created_at=now,
        updated_at=now,
    )


def carried_values(kr: KeyResult) -> tuple[float, float, float | None]:
    """(start, target, stretch) of a copy: a count starts again from its start value, a level where it ended
    (its target and stretch then move by as much when the old ones no longer lie ahead of it)."""
    if kr.accumulation != "level" or kr.metric == Metric.milestone:
        return kr.start_value, kr.target_value, kr.stretch_value
    start = kr.current_value
    ahead = scoring.validate_key_result(
        metric=Metric(kr.metric),
        direction=Direction(kr.direction),
        start=start,
        target=kr.target_value,
        stretch=kr.stretch_value,
        cycle_start_date=datetime.min.date(),
        cycle_end_date=datetime.max.date(),
        plan_dates=[],
    )
    if not ahead:
        return start, kr.target_value, kr.stretch_value
    step = start - kr.start_value
    stretch = None if kr.stretch_value is None else kr.stretch_value + step
    return start, kr.target_value + step, stretch


def _key_result_copy(
    kr: KeyResult, objective: Objective, existing: Existing, target: Calendar, now: datetime
) -> KeyResult | str:
    """The copy, or why its values do not make a valid key result."""
    start, target_value, stretch = carried_values(kr)
    problems = scoring.validate_key_result(
        metric=Metric(kr.metric),
        direction=Direction(kr.direction),
        start=start,
        target=target_value,
        stretch=stretch,
        cycle_start_date=target.cycle.start_date,
        cycle_end_date=target.cycle.end_date,
        plan_dates=[],
        previous=kr.current_value,
    )
    if problems:
        return "; ".join(f"{name}: {message}" for name, message in problems)
    copy = KeyResult(
        org_id=kr.org_id,
        id=uuid4(),
        objective_id=objective.id,
        title=kr.title,
        owner_id=kr.owner_id if kr.owner_id in existing.active_users else objective.owner_id,
        metric=kr.metric,
        unit=kr.unit,
        direction=kr.direction,
        start_value=start,
        target_value=target_value,
        stretch_value=stretch,
        previous_value=kr.current_value,
        weight=kr.weight,
        accumulation=kr.accumulation,
        carried_from=kr.id,
        cadence=kr.cadence,
        milestone_plan=[],  # its dates belonged to the source cycle
        data_source=kr.data_source if kr.data_source in KEPT_SOURCES else "manual",
        current_value=start,
        created_at=now,
        updated_at=now,
    )
    if target.cycle.state != "closed":
        derived = derive_stored(copy, calendar=target, now=now)
        copy.progress, copy.score, copy.status = derived.progress, derived.score, derived.status
    return copy


def plan_links(existing: Existing, plan: Plan, *, principal_actor: str, now: datetime) -> None:
    """Alignments re-created where both ends are carried (now or before), in the source's order; none twice,
    none closing a loop with links made in the target since."""
    copies = {**{o.carried_from: o.id for o in existing.copies.values()}, **_new_copies(plan)}
    graph = {child: set(parents) for child, parents in existing.ancestors.items()}
    seen = set(existing.target_links)
    for link in existing.links:
        child = copies.get(link.child_objective_id)
        parent = copies.get(link.parent_node_id)
        parent_kr = None
        if link.parent_key_result_id is not None:
            copy_kr = plan.kr_map.get(link.parent_key_result_id)
            parent_kr = None if copy_kr is None else copy_kr.id
        if child is None or parent is None or (link.parent_key_result_id is not None and parent_kr is None):
            detail = "only one end of the link is carried into this cycle"
            plan.skip("alignment", link.id, "other_end_not_carried", detail)
            continue
        parent_objective = None if parent_kr is not None else parent
        if (child, parent_objective, parent_kr) in seen:
            plan.skip("alignment", link.id, "already_carried", "the copies are aligned already")
            continue
        if _reaches(graph, parent, child):
            plan.skip("alignment", link.id, "would_close_loop", "links made in this cycle since would form a loop")
            continue
        graph.setdefault(child, set()).add(parent)
        seen.add((child, parent_objective, parent_kr))
        new = Alignment(
            org_id=link.org_id,
            child_objective_id=child,
            parent_objective_id=parent_objective,
            parent_key_result_id=parent_kr,
            parent_node_id=parent,
            kind=link.kind,
            weight=link.weight,
            actor=principal_actor,
            created_at=now,
        )
        plan.links.append((link, new))


def _new_copies(plan: Plan) -> dict[UUID | None, UUID]:
    return {o.carried_from: o.id for o in plan.touched}


def _reaches(graph: dict[UUID, set[UUID]], start: UUID, goal: UUID) -> bool:
    """Whether `goal` lies above `start` (or is it) in the child -> parents graph."""
    stack, seen = [start], {start}
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for parent in graph.get(node, ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return False


def plan_moves(existing: Existing, plan: Plan) -> None:
    """Unfinished initiatives of the carried key results follow them (their link moves to the copy)."""
    for row in existing.initiatives:
        copy = plan.kr_map.get(row.key_result_id)
        if copy is None:
            continue
        if row.state not in ("planned", "in_progress"):
            plan.skip("initiative", row.initiative_id, "finished", f"the initiative is {row.state}: it stays")
            continue
        plan.moves.append((row.initiative_id, row.title, row.key_result_id, copy.id, row.share))


def closed_preview(source: Cycle, target: Cycle, originals: list[Any], body: CarryOverRequest) -> CarryOverResult:
    plan = Plan()
    for o in originals:
        plan.skip("objective", getattr(o, "id", o), "target_cycle_closed", "the target cycle is closed")
    return answer(body, source, target, plan)


def answer(body: CarryOverRequest, source: Cycle, target: Cycle, plan: Plan) -> CarryOverResult:
    """The answer; a preview's new ids are null (nothing was created)."""
    preview = body.dry_run

    def new(value: UUID | None, created: bool = True) -> UUID | None:
        return None if preview and created else value

    new_krs = {kr.id for kr in plan.key_results}
    new_objectives = plan.created
    carried = [
        CarriedObjective(
            carried_from=o.carried_from,  # type: ignore[arg-type]
            id=new(o.id, o.id in new_objectives),
            created=o.id in new_objectives,
            title=o.title,
            key_results=[
                CarriedKeyResult(
                    carried_from=kr.carried_from,  # type: ignore[arg-type]
                    id=new(kr.id),
                    title=kr.title,
                    accumulation=kr.accumulation,  # type: ignore[arg-type]
                    start_value=kr.start_value,
                    target_value=kr.target_value,
                    stretch_value=kr.stretch_value,
                    previous_value=kr.previous_value,  # type: ignore[arg-type]
                )
                for kr in plan.key_results
                if kr.objective_id == o.id
            ],
        )
        for o in plan.touched
        if o.id in new_objectives or any(kr.objective_id == o.id for kr in plan.key_results)
    ]
    alignments = [
        CarriedAlignment(
            carried_from=original.id,
            id=new(link.id),
            child_objective_id=new(link.child_objective_id, link.child_objective_id in new_objectives),
            parent_objective_id=new(link.parent_objective_id, link.parent_objective_id in new_objectives),
            parent_key_result_id=new(link.parent_key_result_id, link.parent_key_result_id in new_krs),
        )
        for original, link in plan.links
    ]
    moved: dict[UUID, MovedInitiative] = {}
    for initiative, title, old, copy, _ in plan.moves:
        entry = moved.setdefault(initiative, MovedInitiative(initiative_id=initiative, title=title, links=[]))
        entry.links.append(MovedLink(from_key_result_id=old, to_key_result_id=new(copy, copy in new_krs)))
    return CarryOverResult(
        dry_run=preview,
        source_cycle_id=source.id,
        target_cycle_id=target.id,
        objectives=carried,
        alignments=alignments,
        initiatives=list(moved.values()),
        skipped=plan.skipped,
    )
