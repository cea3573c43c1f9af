"""Import an organisation's own templates and its KPIs with their values from CSV, all or nothing.

The files are the organisation export's (export_organisation.py); the `id` columns are references between
the files only (any text: "T1", "K1"), never database ids. Every row is checked as the API would check it
before anything is written; a bad cell fails the import with its location as
`["body", "<file>_csv", <spreadsheet row>, "<column>"]` (the header is row 1), like the cycle import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from pydantic import BaseModel, Field
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.errors import Invalid
from sightline.events import service as events
from sightline.inputs import StrictInput
from sightline.insights.csv_sheets import (
    Directory,
    Problems,
    Sheet,
    directory,
    flag,
    optional,
    parse_moment,
    read_sheet,
)
from sightline.insights.csv_sheets import validated as checked
from sightline.insights.history import CSV_IMPORT_SOURCE
from sightline.insights.schemas import CsvText, ImportedRef
from sightline.kpis.models import Kpi, KpiValue
from sightline.kpis.schemas import KpiCreate, KpiValueCreate
from sightline.kpis.service import bounds, event, kpi_public
from sightline.kpis.status import range_problems, status_of
from sightline.kpis.values import new_value, value_public
from sightline.planning.template_schemas import MAX_KEY_RESULTS, TemplateCreate, TemplateKeyResultCreate
from sightline.planning.templates import ObjectiveTemplate, saved_public

CLOCK_SKEW = timedelta(minutes=1)
TEMPLATE_KEY_RESULT_COLUMNS = (
    "title",
    "metric",
    "unit",
    "direction",
    "accumulation",
    "start_value",
    "target_value",
    "stretch_value",
    "weight",
    "target_hint",
    "how_to_measure",
)
KPI_COLUMNS = (
    "name",
    "description",
    "unit",
    "direction",
    "healthy_min",
    "healthy_max",
    "critical_min",
    "critical_max",
    "cadence",
)


class OrganisationImport(StrictInput):
    """CSV files as text, with the organisation export's column names; each optional, at least one given."""

    templates_csv: CsvText | None = Field(None, description="The organisation's own templates")
    template_key_results_csv: CsvText | None = Field(None, description="Their key results, by template id")
    kpis_csv: CsvText | None = Field(None, description="KPIs")
    kpi_values_csv: CsvText | None = Field(None, description="The KPIs' values over time, by KPI id")


class OrganisationImportResult(BaseModel):
    templates: list[ImportedRef]
    kpis: list[ImportedRef]
    kpi_values: int


@dataclass
class _Plan:
    templates: list[tuple[str, ObjectiveTemplate]] = field(default_factory=list)
    kpis: list[tuple[str, Kpi]] = field(default_factory=list)
    values: list[KpiValue] = field(default_factory=list)


def _ref(cells: dict[str, str], row: int, refs: set[str], sheet: str, problems: Problems) -> str:
    ref = optional(cells, "id") or f"row {row}"
    if ref in refs:
        problems.add(sheet, row, "id", f"the id {ref!r} is used by an earlier row")
    refs.add(ref)
    return ref


def _given(cells: dict[str, str], columns: tuple[str, ...]) -> dict[str, str]:
    """The non-empty cells of `columns`: an empty cell takes the API's default."""
    return {c: v for c in columns if (v := optional(cells, c)) is not None}


def _plan_templates(
    templates: Sheet, key_results: Sheet, principal: Principal, now: datetime, problems: Problems
) -> list[tuple[str, ObjectiveTemplate]]:
    refs: set[str] = set()
    rows: list[tuple[int, str, ObjectiveTemplate]] = []
    for row, cells in templates.rows:
        ref = _ref(cells, row, refs, templates.field, problems)
        body = checked(
            TemplateCreate, _given(cells, ("title", "description", "category")), templates.field, row, problems
        )
        if body is None or body.title is None:
            if body is not None:
                problems.add(templates.field, row, "title", "required")
            continue
        saved = ObjectiveTemplate(
            org_id=principal.org_id,
            id=uuid4(),
            category=body.category,
            title=body.title,
            description=body.description or "",
            key_results=[],
            created_by=principal.user_id,
            actor=principal.actor,
            created_at=now,
        )
        rows.append((row, ref, saved))
    by_ref = {ref: template for _, ref, template in rows}
    for row, cells in key_results.rows:
        owner = by_ref.get(cells.get("template_id", ""))
        if owner is None and cells.get("template_id", "") not in refs:
            problems.add(key_results.field, row, "template_id", "no template with this id in templates_csv")
        kr = checked(
            TemplateKeyResultCreate, _given(cells, TEMPLATE_KEY_RESULT_COLUMNS), key_results.field, row, problems
        )
        if owner is not None and kr is not None:
            owner.key_results.append(kr.model_dump(mode="json"))
    for row, _, template in rows:
        if not 1 <= len(template.key_results) <= MAX_KEY_RESULTS:
            problems.add(
                templates.field, row, "id", f"a template has 1 to {MAX_KEY_RESULTS} key results (by template_id)"
            )
    return [(ref, template) for _, ref, template in rows]


def _plan_kpis(
    sheet: Sheet, people: Directory, principal: Principal, now: datetime, problems: Problems
) -> list[tuple[str, Kpi]]:
    refs: set[str] = set()
    planned: list[tuple[str, Kpi]] = []
    for row, cells in sheet.rows:
        ref = _ref(cells, row, refs, sheet.field, problems)
        body = checked(KpiCreate, _given(cells, KPI_COLUMNS), sheet.field, row, problems)
        owner_id: UUID | str | None = principal.user_id
        if email := optional(cells, "owner_email"):
            owner_id = people.member(email)
        elif owner_id is None:
            owner_id = "required when the API key has no creating member"
        team_id: UUID | str | None = people.team(team) if (team := optional(cells, "team")) else None
        archived = flag(cells, "archived", sheet.field, row, problems)
        for column, found in (("owner_email", owner_id), ("team", team_id)):
            if isinstance(found, str):
                problems.add(sheet.field, row, column, found)
        if body is None or isinstance(owner_id, str | None) or isinstance(team_id, str):
            continue
        kpi = Kpi(
            org_id=principal.org_id,
            id=uuid4(),
            **body.model_dump(include=set(KPI_COLUMNS)),
            owner_id=owner_id,
            team_id=team_id,
            archived_at=now if archived else None,
            created_at=now,
            updated_at=now,
        )
        for column, message in range_problems(kpi.direction, bounds(kpi)):
            problems.add(sheet.field, row, column, message)
        planned.append((ref, kpi))
    return planned


def _plan_values(
    sheet: Sheet, kpis: dict[str, Kpi], principal: Principal, now: datetime, problems: Problems
) -> list[KpiValue]:
    planned: list[KpiValue] = []
    points: set[tuple[UUID, datetime]] = set()
    for row, cells in sheet.rows:
        kpi = kpis.get(cells.get("kpi_id", ""))
        if kpi is None:
            problems.add(sheet.field, row, "kpi_id", "no KPI with this id in kpis_csv")
        body = checked(KpiValueCreate, _given(cells, ("value", "note", "source")), sheet.field, row, problems)
        moment = parse_moment(optional(cells, "recorded_at"))
        if moment is None or isinstance(moment, str):
            problems.add(sheet.field, row, "recorded_at", moment or "required: the time point the value is for")
            continue
        if moment > now + CLOCK_SKEW:
            problems.add(sheet.field, row, "recorded_at", "lies in the future")
        if kpi is None or body is None:
            continue
        if (kpi.id, moment) in points:
            problems.add(sheet.field, row, "recorded_at", "the KPI has an earlier row for this time point")
        points.add((kpi.id, moment))
        planned.append(new_value(principal, kpi, body, moment, source=body.source or CSV_IMPORT_SOURCE, now=now))
    return planned


def _latest(plan: _Plan) -> None:
    """Each KPI's latest value by time and its status, as recording the values one by one would leave them."""
    kpis = {kpi.id: kpi for _, kpi in plan.kpis}
    for value in plan.values:
        kpi = kpis[value.kpi_id]
        if kpi.latest_recorded_at is None or value.recorded_at >= kpi.latest_recorded_at:
            kpi.latest_value, kpi.latest_recorded_at = value.value, value.recorded_at
    for kpi in kpis.values():
        kpi.status = status_of(kpi.latest_value, bounds(kpi))


async def import_organisation(
    session: AsyncSession, *, principal: Principal, body: OrganisationImport, now: datetime
) -> OrganisationImportResult:
    problems = Problems()
    if all(getattr(body, name) is None for name in OrganisationImport.model_fields):
        raise Invalid("body", "give at least one file")
    templates = read_sheet(body.templates_csv, "templates_csv", {"title"}, problems)
    template_krs = read_sheet(
        body.template_key_results_csv, "template_key_results_csv", {"template_id", "title", "target_value"}, problems
    )
    kpi_sheet = read_sheet(body.kpis_csv, "kpis_csv", {"name", "direction"}, problems)
    value_sheet = read_sheet(body.kpi_values_csv, "kpi_values_csv", {"kpi_id", "value", "recorded_at"}, problems)
    people = await directory(session, principal.org_id)
    plan = _Plan()
    plan.templates = _plan_templates(templates, template_krs, principal, now, problems)
    plan.kpis = _plan_kpis(kpi_sheet, people, principal, now, problems)
    plan.values = _plan_values(value_sheet, dict(plan.kpis), principal, now, problems)
    if problems.errors:
        raise Invalid(
            errors=problems.errors, detail=f"{len(problems.errors)} problems in the files; nothing was written"
        )
    _latest(plan)
    await _write(session, plan, principal, now)
    return OrganisationImportResult(
        templates=[ImportedRef(ref=ref, id=t.id) for ref, t in plan.templates],
        kpis=[ImportedRef(ref=ref, id=k.id) for ref, k in plan.kpis],
        kpi_values=len(plan.values),
    )


async def _write(session: AsyncSession, plan: _Plan, principal: Principal, now: datetime) -> None:
    """Bulk inserts (templates, KPIs, then their values), then every event in one statement."""
    if plan.templates:
        await session.execute(insert(ObjectiveTemplate), [t.model_dump() for _, t in plan.templates])
    if plan.kpis:
        await session.execute(insert(Kpi), [k.model_dump() for _, k in plan.kpis])
    if plan.values:
        await session.execute(insert(KpiValue), [v.model_dump() for v in plan.values])
    kpis = {kpi.id: kpi for _, kpi in plan.kpis}
    await events.emit(
        session,
        *(
            events.NewEvent(
                org_id=principal.org_id,
                type="template.created",
                actor=principal.actor,
                object_type="template",
                object_id=t.id,
                occurred_at=now,
                after=saved_public(t),
            )
            for _, t in plan.templates
        ),
        *(event(principal, kpi, "kpi.created", now, after=kpi_public(kpi)) for kpi in kpis.values()),
        *(event(principal, kpis[v.kpi_id], "kpi.value_recorded", now, after=value_public(v)) for v in plan.values),
    )
