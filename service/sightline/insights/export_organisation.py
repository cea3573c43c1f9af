"""Export what an organisation keeps outside its cycles: its own templates (not the built-in library, which
every organisation has) and its KPIs with their values, as CSV (a zip of one file per table) or JSON.

Streamed from one snapshot like the cycle export (export.py), with the same column-per-field files and the
same formula escaping; csv_import_organisation.py reads the CSV files back (docs/decisions/planning-export.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.insights.csv_formulas import CsvFormulas
from sightline.insights.export import ExportFormat, stream_tables

FORMAT_VERSION = "sightline.organisation-export.v1"
FILE_NAME = {"csv": "organisation.zip", "json": "organisation.json"}

# The columns are the file headers; the import reads the same names. A template's key results are a file of
# their own (one row each, `template_id` and `position` place them), so a spreadsheet shows every cell.
TABLES: dict[str, str] = {
    "templates": """
        SELECT t.id, t.category, t.title, t.description, u.email AS created_by_email, t.actor, t.created_at
        FROM objective_templates t
        LEFT JOIN users u ON u.org_id = t.org_id AND u.id = t.created_by
        WHERE t.org_id = :org
        ORDER BY t.created_at, t.id""",
    "template_key_results": """
        SELECT t.id AS template_id, kr.position - 1 AS position, kr.item ->> 'title' AS title,
               kr.item ->> 'metric' AS metric, kr.item ->> 'unit' AS unit, kr.item ->> 'direction' AS direction,
               kr.item ->> 'accumulation' AS accumulation, (kr.item ->> 'start_value')::float8 AS start_value,
               (kr.item ->> 'target_value')::float8 AS target_value,
               (kr.item ->> 'stretch_value')::float8 AS stretch_value, (kr.item ->> 'weight')::float8 AS weight,
               kr.item ->> 'target_hint' AS target_hint, kr.item ->> 'how_to_measure' AS how_to_measure
        FROM objective_templates t
        CROSS JOIN LATERAL jsonb_array_elements(t.key_results) WITH ORDINALITY AS kr (item, position)
        WHERE t.org_id = :org
        ORDER BY t.created_at, t.id, kr.position""",
    "kpis": """
        SELECT k.id, k.name, k.description, k.unit, k.direction, u.email AS owner_email, k.owner_id, tm.name AS team,
               k.team_id, k.healthy_min, k.healthy_max, k.critical_min, k.critical_max, k.cadence,
               k.archived_at IS NOT NULL AS archived, k.latest_value, k.latest_recorded_at, k.status, k.created_at
        FROM kpis k
        JOIN users u ON u.org_id = k.org_id AND u.id = k.owner_id
        LEFT JOIN teams tm ON tm.org_id = k.org_id AND tm.id = k.team_id
        WHERE k.org_id = :org
        ORDER BY k.created_at, k.id""",
    "kpi_values": """
        SELECT v.id, v.kpi_id, v.value, v.recorded_at, v.note, v.source, u.email AS author_email, v.actor,
               v.created_at
        FROM kpi_values v
        LEFT JOIN users u ON u.org_id = v.org_id AND u.id = v.author_id
        WHERE v.org_id = :org
        ORDER BY v.kpi_id, v.recorded_at, v.id""",
}


def stream_organisation_export(
    factory: async_sessionmaker[AsyncSession], *, org_id: UUID, fmt: ExportFormat, formulas: CsvFormulas = "escaped"
) -> AsyncIterator[bytes]:
    head = {"format": FORMAT_VERSION}
    return stream_tables(factory, org_id=org_id, head=head, tables=TABLES, params={}, fmt=fmt, formulas=formulas)
