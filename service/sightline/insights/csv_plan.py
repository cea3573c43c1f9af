"""Checking the import's rows and planning what to write: objectives, key results, check-ins.

Every rule an API request would meet applies to each row; every broken one is reported with its cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from sightline import scoring
from sightline.auth import Principal
from sightline.insights.csv_sheets import Directory, Problems, Sheet, flag, optional, parse_moment, validated
from sightline.insights.history import CSV_IMPORT_SOURCE
from sightline.okrs.check_in_rules import BACKDATED_AFTER, CLOCK_SKEW
from sightline.okrs.derive import Calendar
from sightline.okrs.key_results import new_key_result
from sightline.okrs.models import CheckIn, KeyResult, Objective
from sightline.okrs.schemas import CheckInBatchItem, KeyResultCreate, ObjectiveCreate, ObjectiveState
from sightline.scoring import Direction, Metric


@dataclass
class Plan:
    """What the import will write, once every row has passed."""

    objectives: list[tuple[str, Objective]] = field(default_factory=list)
    key_results: list[tuple[str, KeyResult]] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)


def _resolve_owner(
    cells: dict[str, str], directory: Directory, default: UUID | None, sheet: str, row: int, problems: Problems
) -> UUID | None:
    email = optional(cells, "owner_email")
    if email is None:
        if default is None:
            problems.add(sheet, row, "owner_email", "required when the API key has no creating member")
        return default
    owner = directory.member(email)
    if isinstance(owner, str):
        problems.add(sheet, row, "owner_email", owner)
        return None
    return owner


def plan_objectives(
    sheet: Sheet, directory: Directory, principal: Principal, calendar: Calendar, now: datetime, problems: Problems
) -> list[tuple[str, Objective]]:
    planned: list[tuple[str, Objective]] = []
    refs: set[str] = set()
    for row, cells in sheet.rows:
        ref = optional(cells, "id") or f"row {row}"
        if ref in refs:
            problems.add(sheet.field, row, "id", f"the id {ref!r} is used by an earlier row")
        refs.add(ref)
        team_id: UUID | None = None
        if team_name := optional(cells, "team"):
            team = directory.team(team_name)
            if isinstance(team, str):
                problems.add(sheet.field, row, "team", team)
            else:
                team_id = team
        owner_id = _resolve_owner(cells, directory, principal.user_id, sheet.field, row, problems)
        state = optional(cells, "state") or "active"
        values = {
            "cycle_id": calendar.cycle.id,
            "title": cells.get("title", ""),
            "description": cells.get("description", ""),
            "level": optional(cells, "level") or ("team" if team_name else "company"),
            "team_id": team_id,
            "kind": optional(cells, "kind") or "committed",
            "progress_from": optional(cells, "progress_from") or "key_results",
        }
        body = validated(ObjectiveCreate, values, sheet.field, row, problems)
        if state not in ObjectiveState.__args__:  # type: ignore[attr-defined]
            problems.add(sheet.field, row, "state", "one of draft, active, closed, archived")
        if body is None or owner_id is None:
            continue
        if body.level != "company" and team_id is None and not team_name:
            problems.add(sheet.field, row, "team", f"required for a {body.level} objective")
            continue
        planned.append(
            (
                ref,
                Objective(
                    org_id=principal.org_id,
                    id=uuid4(),
                    cycle_id=calendar.cycle.id,
                    title=body.title,
                    description=body.description,
                    level=body.level,
                    team_id=team_id,
                    owner_id=owner_id,
                    kind=body.kind,
                    state=state,
                    progress_from=body.progress_from,
                    created_at=now,
                    updated_at=now,
                ),
            )
        )
    return planned


def _number(cells: dict[str, str], column: str) -> Any:
    value = optional(cells, column)
    return None if value is None else value  # pydantic parses and bounds it (Value)


def plan_key_results(
    sheet: Sheet,
    objectives: dict[str, Objective],
    existing: dict[str, list[Objective]],
    directory: Directory,
    external_keys_taken: set[str],
    calendar: Calendar,
    principal: Principal,
    now: datetime,
    has_objectives_file: bool,
    problems: Problems,
) -> list[tuple[str, KeyResult]]:
    planned: list[tuple[str, KeyResult]] = []
    refs: set[str] = set()
    keys: set[str] = set()
    by_title: dict[str, list[Objective]] = {}
    for planned_objective in objectives.values():
        by_title.setdefault(planned_objective.title, []).append(planned_objective)
    for row, cells in sheet.rows:
        ref = optional(cells, "id") or f"row {row}"
        if ref in refs:
            problems.add(sheet.field, row, "id", f"the id {ref!r} is used by an earlier row")
        refs.add(ref)
        objective = _objective_of(
            cells, objectives, by_title, existing, has_objectives_file, sheet.field, row, problems
        )
        default_owner = objective.owner_id if objective is not None else principal.user_id
        owner_id = _resolve_owner(cells, directory, default_owner, sheet.field, row, problems)
        plan = _milestone_plan(cells, sheet.field, row, problems)
        values = _key_result_values(cells, objective, plan, calendar)
        values["follows_kpi_id"] = directory.followed_kpi(cells, sheet.field, row, problems)
        body = validated(KeyResultCreate, values, sheet.field, row, problems)
        archived = flag(cells, "archived", sheet.field, row, problems)
        if body is None:
            continue
        _check_key_result_rules(body, calendar, sheet.field, row, problems)
        if body.external_key is not None:
            if body.external_key in keys or body.external_key in external_keys_taken:
                problems.add(sheet.field, row, "external_key", f"{body.external_key!r} is already used")
            keys.add(body.external_key)
        if objective is None or owner_id is None:
            continue
        planned.append(
            (
                ref,
                new_key_result(
                    body,
                    org_id=principal.org_id,
                    objective_id=objective.id,
                    owner_id=owner_id,
                    calendar=calendar,
                    now=now,
                    archived=archived,
                ),
            )
        )
    return planned


def _milestone_plan(cells: dict[str, str], sheet: str, row: int, problems: Problems) -> Any:
    """The milestone_plan cell as JSON (pydantic checks its shape), or an empty plan and a problem."""
    plan_text = optional(cells, "milestone_plan")
    if plan_text is None:
        return []
    try:
        return orjson.loads(plan_text)
    except orjson.JSONDecodeError:
        problems.add(sheet, row, "milestone_plan", 'a JSON list like [{"date": "2026-03-31", "value": 10}]')
        return []


def _key_result_values(
    cells: dict[str, str], objective: Objective | None, plan: Any, calendar: Calendar
) -> dict[str, Any]:
    """The row as the body of a key result request, with the API's defaults for empty cells."""
    return {
        "objective_id": objective.id if objective is not None else uuid4(),
        "title": cells.get("title", ""),
        "metric": optional(cells, "metric") or Metric.number,
        "unit": cells.get("unit", ""),
        "direction": optional(cells, "direction") or Direction.increase,
        "start_value": _number(cells, "start_value") or 0,
        "target_value": _number(cells, "target_value"),
        "stretch_value": _number(cells, "stretch_value"),
        "previous_value": _number(cells, "previous_value"),
        "weight": _number(cells, "weight") or 1,
        "accumulation": optional(cells, "accumulation") or "cumulative",  # older files have no such column
        "cadence": optional(cells, "cadence") or calendar.settings.default_cadence,
        "milestone_plan": plan,
        "data_source": optional(cells, "data_source") or "manual",
        "external_key": optional(cells, "external_key"),
    }


def _check_key_result_rules(
    body: KeyResultCreate, calendar: Calendar, sheet: str, row: int, problems: Problems
) -> None:
    """The scoring rules a key result request meets (targets, stretch, milestone plan within the cycle)."""
    for rule_field, message in scoring.validate_key_result(
        metric=body.metric,
        direction=body.direction,
        start=body.start_value,
        target=body.target_value,
        stretch=body.stretch_value,
        cycle_start_date=calendar.cycle.start_date,
        cycle_end_date=calendar.cycle.end_date,
        plan_dates=[p.date for p in body.milestone_plan],
        plan_values=[p.value for p in body.milestone_plan],
        previous=body.previous_value,
    ):
        problems.add(sheet, row, rule_field.split(".")[0], message)
    if body.follows_kpi_id is not None and body.metric == Metric.milestone:
        problems.add(sheet, row, "follows_kpi", "a milestone key result takes its steps only; it cannot follow a KPI")


def _objective_of(
    cells: dict[str, str],
    objectives: dict[str, Objective],
    by_title: dict[str, list[Objective]],
    existing: dict[str, list[Objective]],
    has_objectives_file: bool,
    sheet: str,
    row: int,
    problems: Problems,
) -> Objective | None:
    ref = optional(cells, "objective_id")
    if has_objectives_file and ref is not None:
        if ref not in objectives:
            problems.add(sheet, row, "objective_id", f"no objective with the id {ref!r} in objectives_csv")
        return objectives.get(ref)
    title = optional(cells, "objective")
    if title is None:
        problems.add(sheet, row, "objective", "name the objective (its title), or give objective_id")
        return None
    candidates = by_title.get(title) or existing.get(title, [])
    if len(candidates) != 1:
        where = "in objectives_csv or in this cycle"
        problems.add(
            sheet,
            row,
            "objective",
            f"no objective titled {title!r} {where}" if not candidates else f"several objectives are titled {title!r}",
        )
        return None
    return candidates[0]


def plan_check_ins(
    sheet: Sheet,
    key_results: dict[str, KeyResult],
    calendar: Calendar,
    principal: Principal,
    now: datetime,
    problems: Problems,
) -> list[CheckIn]:
    planned: list[CheckIn] = []
    by_ref: dict[str, CheckIn] = {}
    corrected: set[UUID] = set()
    if sheet.rows and calendar.cycle.state != "active":
        problems.add(sheet.field, sheet.rows[0][0], "key_result_id", "check-ins need an active cycle")
        return []
    for row, cells in sheet.rows:
        ref = optional(cells, "id")
        target = key_results.get(cells.get("key_result_id", ""))
        if target is None:
            problems.add(sheet.field, row, "key_result_id", "no key result with this id in key_results_csv")
        values = {
            "value": _number(cells, "value"),
            "confidence": optional(cells, "confidence"),
            "note": cells.get("note", ""),
        }
        body = validated(CheckInBatchItem, values, sheet.field, row, problems)
        reason = optional(cells, "reason")
        original = _corrected_check_in(cells, target, reason, by_ref, corrected, sheet.field, row, problems)
        moment: datetime | None
        if original is not None:
            moment = original.checked_in_at  # a correction replaces the value at its time
        else:
            moment = _moment(cells, calendar, now, sheet.field, row, problems)
        if target is not None and body is not None and target.metric == Metric.milestone:
            problem = scoring.milestone_value_problem(body.value, target.target_value)  # a step of the milestone
            if problem is not None:
                problems.add(sheet.field, row, "value", problem)
                continue
        if target is None or body is None or moment is None:
            continue
        check_in = _new_check_in(body, target, principal, moment, now, original, reason)
        if original is not None:
            corrected.add(original.id)
        if ref is not None:
            if ref in by_ref:
                problems.add(sheet.field, row, "id", f"the id {ref!r} is used by an earlier row")
            by_ref[ref] = check_in
        planned.append(check_in)
    return planned


def _corrected_check_in(
    cells: dict[str, str],
    target: KeyResult | None,
    reason: str | None,
    by_ref: dict[str, CheckIn],
    corrected: set[UUID],
    sheet: str,
    row: int,
    problems: Problems,
) -> CheckIn | None:
    """The earlier check-in this row corrects (its `corrects` cell), checking the correction and its reason."""
    corrects = optional(cells, "corrects")
    if corrects is None:
        if reason is not None:
            problems.add(sheet, row, "reason", "only a correction (with corrects) takes a reason")
        return None
    original = by_ref.get(corrects)
    if original is None or target is None or original.key_result_id != target.id:
        problems.add(sheet, row, "corrects", "not the id of an earlier check-in of this key result")
    elif original.id in corrected:
        problems.add(sheet, row, "corrects", "that check-in is already corrected; correct the correction")
    if reason is None:
        problems.add(sheet, row, "reason", "a correction needs a reason")
    return original


def _moment(
    cells: dict[str, str], calendar: Calendar, now: datetime, sheet: str, row: int, problems: Problems
) -> datetime | None:
    """The row's checked_in_at: given, not in the future, within the cycle."""
    parsed = parse_moment(optional(cells, "checked_in_at"))
    if parsed is None:
        problems.add(sheet, row, "checked_in_at", "required: the time the value was true")
    elif isinstance(parsed, str):
        problems.add(sheet, row, "checked_in_at", parsed)
    elif parsed > now + CLOCK_SKEW:
        problems.add(sheet, row, "checked_in_at", "lies in the future")
    elif not calendar.start <= parsed < calendar.end:
        problems.add(
            sheet,
            row,
            "checked_in_at",
            f"lies outside the cycle ({calendar.cycle.start_date} to {calendar.cycle.end_date})",
        )
    return parsed if isinstance(parsed, datetime) else None


def _new_check_in(
    body: CheckInBatchItem,
    target: KeyResult,
    principal: Principal,
    moment: datetime,
    now: datetime,
    original: CheckIn | None,
    reason: str | None,
) -> CheckIn:
    return CheckIn(
        org_id=principal.org_id,
        id=uuid4(),
        key_result_id=target.id,
        value=body.value,
        confidence=body.confidence,
        note=body.note,
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        source=CSV_IMPORT_SOURCE,
        checked_in_at=moment,
        created_at=now,
        backdated=original is None and now - moment > BACKDATED_AFTER,
        corrects=original.id if original is not None else None,
        reason=reason if original is not None else None,
    )
