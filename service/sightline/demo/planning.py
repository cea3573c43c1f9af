"""The demo's planning: five marketing KPIs with a year of monthly values (brought in from the team's sheet by the
organisation import), the closed quarter carried over into the next one as drafts (so `carried_from` and
`previous_value` are real), one carried key result following a KPI, and one template saved from the closed
quarter's launch objective. Each is a step of the demo's timeline, through the services."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from functools import partial
from random import Random
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.demo.builder import Demo
from sightline.demo.timeline import Step, at
from sightline.insights import csv_import_organisation as organisation_import
from sightline.okrs import key_results
from sightline.okrs.models import Cycle
from sightline.okrs.schemas import KeyResultUpdate
from sightline.planning import carry_over, templates
from sightline.planning.carry_over_schemas import CarryOverRequest
from sightline.planning.template_schemas import TemplateCreate
from sightline.versions import etag

FOLLOWER = "Launch page conversion rate"  # its carried copy follows the website conversion rate KPI
FOLLOWED = "Website conversion rate"
TEMPLATE_FROM = "Launch Route Planner 2.0 with a bang"
# (name, unit, direction, owner, team, healthy_min, healthy_max, critical_min, critical_max, source, first month's
# value, growth per month): the values drift by the growth with a little noise, so the statuses differ.
KPIS = (
    ("Marketing-sourced pipeline", "EUR", "higher_is_better", "marcus", "Marketing", 500_000, None, 350_000, None,
     "crm", 430_000, 0.025),
    ("Marketing-qualified leads (MQLs)", "leads", "higher_is_better", "dana", "Demand Gen", 1_600, None, 1_100, None,
     "crm", 1_350, 0.012),
    ("Customer acquisition cost (CAC)", "EUR", "lower_is_better", "marcus", "Marketing", None, 9_000, None, 11_000,
     "finance", 8_100, 0.012),
    (FOLLOWED, "%", "higher_is_better", "leo", "Demand Gen", 1.5, None, 1.0, None, "google_analytics", 1.3, 0.02),
    ("Brand search volume", "searches", "higher_is_better", "clara", "Content", 6_000, None, None, None,
     "google_search_console", 5_200, 0.03),
)  # fmt: skip
KPI_COLUMNS = (
    "id",
    "name",
    "unit",
    "direction",
    "owner_email",
    "team",
    "healthy_min",
    "healthy_max",
    "critical_min",
    "critical_max",
    "cadence",
)


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows({c: "" if row.get(c) is None else row[c] for c in columns} for row in rows)
    return buffer.getvalue()


def _months(last: date) -> list[date]:
    """The first days of the twelve months up to `last`'s, oldest first."""
    return [date(last.year + (last.month - 1 - k) // 12, (last.month - 1 - k) % 12 + 1, 1) for k in range(11, -1, -1)]


def kpi_sheet(imported: datetime, rng: Random) -> organisation_import.OrganisationImport:
    """The marketing team's KPI sheet: each month's figure reported on the 1st of the next month at 09:00."""
    kpis: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    reported = [at(day, 9) for day in _months(imported.date()) if at(day, 9) <= imported]
    for index, spec in enumerate(KPIS):
        name, unit, direction, owner, team, h_min, h_max, c_min, c_max, source, first, growth = spec
        ref = f"K{index + 1}"
        bounds = (h_min, h_max, c_min, c_max)
        cells = (ref, name, unit, direction, f"{owner}@northwind.example", team, *bounds, "monthly")
        kpis.append(dict(zip(KPI_COLUMNS, cells, strict=True)))
        for month, moment in enumerate(reported):
            value = first * (1 + growth) ** month * (1 + rng.uniform(-0.04, 0.04))
            digits = 2 if first < 10 else 0
            previous = moment - timedelta(days=1)
            note = f"{previous:%B %Y}" + (" (campaign month)" if month % 4 == 3 else "")
            row = {"kpi_id": ref, "value": round(value, digits), "recorded_at": moment.isoformat(), "note": note}
            values.append(row | {"source": source})
    return organisation_import.OrganisationImport(
        kpis_csv=_csv(KPI_COLUMNS, kpis),
        kpi_values_csv=_csv(("kpi_id", "value", "recorded_at", "note", "source"), values),
    )


async def import_kpis(demo: Demo, session: AsyncSession, *, now: datetime) -> None:
    body = kpi_sheet(now, Random(19))
    result = await organisation_import.import_organisation(session, principal=demo.people["marcus"], body=body, now=now)
    demo.kpis = {spec[0]: ref.id for spec, ref in zip(KPIS, result.kpis, strict=True)}


async def carry_into(demo: Demo, session: AsyncSession, *, source: Cycle, target: Cycle, now: datetime) -> None:
    """Marcus carries the closed quarter into the next one (drafts while it is in planning); the copy of the
    launch page's conversion rate follows the website conversion rate KPI from now on."""
    marcus = demo.people["marcus"]
    body = CarryOverRequest(source_cycle_id=source.id, objectives="all")
    result = await carry_over.carry_over(session, principal=marcus, cycle_id=target.id, body=body, now=now)
    for objective in result.objectives:
        for kr in objective.key_results:
            if kr.title == FOLLOWER and kr.id is not None and FOLLOWED in demo.kpis:
                update = KeyResultUpdate(follows_kpi_id=demo.kpis[FOLLOWED])
                await key_results.update_key_result(
                    session, principal=marcus, key_result_id=kr.id, body=update, if_match=etag(1), now=now
                )


async def save_template(demo: Demo, session: AsyncSession, *, now: datetime) -> None:
    body = TemplateCreate(
        objective_id=demo.objective_ids[TEMPLATE_FROM], title="Product launch", category="product_marketing"
    )
    await templates.create_template(session, principal=demo.people["marcus"], body=body, now=now)


def steps(demo: Demo) -> list[Step]:
    """The KPI import a week before today; three days before today, the closed quarter carried into the next one
    (while it is in planning; not when today is in the year's last quarter) and its launch objective saved as a
    template."""
    imported = demo.end - timedelta(days=7)
    planned = demo.end - timedelta(days=3) + timedelta(hours=10)
    closed, upcoming = demo.chosen_cycles()["previous"], demo.next_quarter()
    found: list[Step] = [
        (imported, partial(import_kpis, demo, now=imported)),
        (planned + timedelta(minutes=30), partial(save_template, demo, now=planned + timedelta(minutes=30))),
    ]
    if upcoming is not None:
        found.append((planned, partial(carry_into, demo, source=closed, target=upcoming, now=planned)))
    return found
