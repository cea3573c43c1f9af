"""HTTP routes of the insights: scoreboard, health, ambition, close and retrospective, grades, export and
import, team review agenda and review records.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query, Response, status
from fastapi.responses import StreamingResponse

from sightline.http.deps import Clock, DbSession, Reader, SessionFactory, Writer
from sightline.http.jsonutil import answer
from sightline.http.pagination import Page
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.inputs import DateOrMoment
from sightline.insights import (
    close,
    csv_import,
    csv_import_organisation,
    export,
    export_organisation,
    health,
    review,
    review_markdown,
    review_records,
    scoreboard,
)
from sightline.insights.csv_formulas import CsvFormulas
from sightline.insights.schemas import (
    SIGNALS_NOT_VERDICTS,
    AmbitionReport,
    CycleImport,
    CycleImportResult,
    HealthPublic,
    KeyResultGradePublic,
    RetrospectivePublic,
    ReviewAgenda,
    ScoreboardPublic,
    TeamReviewCreate,
    TeamReviewPublic,
)
from sightline.insights.scoreboard_sql import ScoreboardFilter
from sightline.okrs.schemas import Kind, Level

router = api_router(authenticated=True)
ONE = problem_responses(404)
STATEFUL = problem_responses(404, 409)
CSV_FORMULAS_DESCRIPTION = (
    "CSV only. escaped (the default): text cells a spreadsheet would run as a formula (starting with =, +, -, "
    "@, a tab or a carriage return) get a leading single quote, so opening the file runs nothing; numbers, and "
    "text that is a plain number such as -5, are left as they are. The import reads such cells back unchanged. "
    "raw: every cell exactly as stored, for programs that read the CSV, never for a spreadsheet"
)


@router.get(
    "/cycles/{cycle_id}/scoreboard",
    response_model=ScoreboardPublic,
    tags=["insights"],
    summary="Every objective's progress, score, status and confidence by team; totals; check-in compliance",
    responses=ONE,
)
async def get_scoreboard(
    cycle_id: UUID,
    principal: Reader,
    session: DbSession,
    now: Clock,
    team_id: UUID | None = None,
    include_sub_teams: bool = Query(False, description="With team_id: also the teams below it"),
    owner_id: UUID | None = Query(None, description="The objective's owner"),
    level: Level | None = None,
    kind: Kind | None = None,
    include_enclosing: bool = Query(
        False,
        description="Also the objectives of the cycles containing this one (a quarter's year), marked `inherited`",
    ),
) -> Response:
    board = await scoreboard.scoreboard(
        session,
        org_id=principal.org_id,
        cycle_id=cycle_id,
        flt=ScoreboardFilter(
            team_id=team_id,
            include_sub_teams=include_sub_teams,
            owner_id=owner_id,
            level=level,
            kind=kind,
            include_enclosing=include_enclosing,
        ),
        now=now,
    )
    return answer(board)


@router.get(
    "/cycles/{cycle_id}/health",
    tags=["insights"],
    summary="The OKR process's health: ambition, honesty signals, compliance; calibration and grades once closed",
    description=SIGNALS_NOT_VERDICTS,
    responses=ONE,
)
async def get_health(cycle_id: UUID, principal: Reader, session: DbSession, now: Clock) -> HealthPublic:
    return await health.cycle_health(session, org_id=principal.org_id, cycle_id=cycle_id, now=now)


@router.get(
    "/cycles/{cycle_id}/ambition",
    tags=["insights"],
    summary="Ambition of every key result against what was already achieved, by team and for the cycle",
    description=SIGNALS_NOT_VERDICTS,
    responses=ONE,
)
async def get_ambition(cycle_id: UUID, principal: Reader, session: DbSession) -> AmbitionReport:
    return await health.cycle_ambition(session, org_id=principal.org_id, cycle_id=cycle_id)


@router.post(
    "/cycles/{cycle_id}/close",
    tags=["cycles"],
    summary="Close the cycle: grade every key result, freeze check-ins, write the retrospective (idempotent)",
    description="The only way to close a cycle. Closing a closed cycle answers its retrospective again; "
    "a closed cycle never reopens.",
    responses=STATEFUL,
)
async def close_cycle(cycle_id: UUID, principal: Writer, session: DbSession, now: Clock) -> RetrospectivePublic:
    return await close.close_cycle(session, principal=principal, cycle_id=cycle_id, now=now)


@router.get(
    "/cycles/{cycle_id}/retrospective",
    tags=["insights"],
    summary="The numbers of a closed cycle: grades by kind, calibration, ambition, honesty signals",
    description=SIGNALS_NOT_VERDICTS,
    responses=STATEFUL,
)
async def get_retrospective(cycle_id: UUID, principal: Reader, session: DbSession) -> RetrospectivePublic:
    return await close.get_retrospective(session, org_id=principal.org_id, cycle_id=cycle_id)


@router.get(
    "/cycles/{cycle_id}/grades",
    tags=["insights"],
    summary="The final grade of every key result of a closed cycle",
    responses=ONE,
)
async def list_grades(
    cycle_id: UUID, principal: Reader, session: DbSession, paging: Paging
) -> Page[KeyResultGradePublic]:
    items, cursor = await close.list_grades(session, org_id=principal.org_id, cycle_id=cycle_id, params=paging)
    return Page(items=items, next_cursor=cursor)


BINARY = {"type": "string", "format": "binary"}
JSON_EXPORT = {"type": "object", "description": "The cycle, its objectives, key results and check-ins"}


@router.get(
    "/cycles/{cycle_id}/export",
    tags=["insights"],
    summary="Export objectives, key results and check-ins: CSV (a zip, one file per table) or JSON, streamed",
    description="Deprecated: use `GET /cycles/{cycle_id}/export/csv` or `/export/json`, each with one media type. "
    "Here `format=csv` (the default) answers `application/zip`, `format=json` answers `application/json`.",
    deprecated=True,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`application/zip` for format=csv, `application/json` for format=json",
            "content": {"application/zip": {"schema": BINARY}, "application/json": {"schema": JSON_EXPORT}},
        },
        **ONE,
    },
)
async def export_cycle(
    cycle_id: UUID,
    principal: Reader,
    session: DbSession,
    factory: SessionFactory,
    format: Literal["csv", "json"] = "csv",
    csv_formulas: Annotated[CsvFormulas, Query(description=CSV_FORMULAS_DESCRIPTION)] = "escaped",
) -> StreamingResponse:
    cycle = await export.exportable_cycle(session, org_id=principal.org_id, cycle_id=cycle_id)
    return StreamingResponse(
        export.stream_export(factory, org_id=principal.org_id, cycle=cycle, fmt=format, formulas=csv_formulas),
        media_type="application/zip" if format == "csv" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{export.file_name(cycle, format)}"'},
    )


@router.get(
    "/cycles/{cycle_id}/export/csv",
    tags=["insights"],
    summary="Export objectives, key results and check-ins as CSV: a zip with one file per table, streamed",
    response_class=StreamingResponse,
    responses={200: {"description": "A zip of CSV files", "content": {"application/zip": {"schema": BINARY}}}, **ONE},
)
async def export_cycle_csv(
    cycle_id: UUID,
    principal: Reader,
    session: DbSession,
    factory: SessionFactory,
    csv_formulas: Annotated[CsvFormulas, Query(description=CSV_FORMULAS_DESCRIPTION)] = "escaped",
) -> StreamingResponse:
    """The CSV export on its own URL, so its one media type is declared (docs/decisions/contract-export-formats.md)."""
    return await export_cycle(cycle_id, principal, session, factory, format="csv", csv_formulas=csv_formulas)


@router.get(
    "/cycles/{cycle_id}/export/json",
    tags=["insights"],
    summary="Export objectives, key results and check-ins as one JSON document, streamed",
    response_class=StreamingResponse,
    responses={200: {"description": "The export", "content": {"application/json": {"schema": JSON_EXPORT}}}, **ONE},
)
async def export_cycle_json(
    cycle_id: UUID, principal: Reader, session: DbSession, factory: SessionFactory
) -> StreamingResponse:
    """The JSON export on its own URL, so its one media type is declared (docs/decisions/contract-export-formats.md)."""
    return await export_cycle(cycle_id, principal, session, factory, format="json", csv_formulas="escaped")


@router.post(
    "/cycles/{cycle_id}/import",
    tags=["insights"],
    status_code=status.HTTP_201_CREATED,
    summary="Import objectives, key results and check-ins from CSV (the export's columns), all or nothing",
    responses=STATEFUL,
)
async def import_cycle(
    cycle_id: UUID, body: CycleImport, principal: Writer, session: DbSession, now: Clock
) -> CycleImportResult:
    return await csv_import.import_cycle(session, principal=principal, cycle_id=cycle_id, body=body, now=now)


ORGANISATION_JSON = {"type": "object", "description": "The organisation's own templates, its KPIs and their values"}


@router.get(
    "/organisation/export/csv",
    tags=["insights"],
    summary="Export the organisation's own templates and its KPIs with their values: a zip of CSV files, streamed",
    response_class=StreamingResponse,
    responses={200: {"description": "A zip of CSV files", "content": {"application/zip": {"schema": BINARY}}}},
)
async def export_organisation_csv(
    principal: Reader,
    factory: SessionFactory,
    csv_formulas: Annotated[CsvFormulas, Query(description=CSV_FORMULAS_DESCRIPTION)] = "escaped",
) -> StreamingResponse:
    return StreamingResponse(
        export_organisation.stream_organisation_export(
            factory, org_id=principal.org_id, fmt="csv", formulas=csv_formulas
        ),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{export_organisation.FILE_NAME["csv"]}"'},
    )


@router.get(
    "/organisation/export/json",
    tags=["insights"],
    summary="Export the organisation's own templates and its KPIs with their values as one JSON document, streamed",
    response_class=StreamingResponse,
    responses={200: {"description": "The export", "content": {"application/json": {"schema": ORGANISATION_JSON}}}},
)
async def export_organisation_json(principal: Reader, factory: SessionFactory) -> StreamingResponse:
    return StreamingResponse(
        export_organisation.stream_organisation_export(factory, org_id=principal.org_id, fmt="json"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{export_organisation.FILE_NAME["json"]}"'},
    )


@router.post(
    "/organisation/import",
    tags=["insights"],
    status_code=status.HTTP_201_CREATED,
    summary="Import templates, KPIs and KPI values from CSV (the organisation export's columns), all or nothing",
    responses=problem_responses(),
)
async def import_organisation(
    body: csv_import_organisation.OrganisationImport, principal: Writer, session: DbSession, now: Clock
) -> csv_import_organisation.OrganisationImportResult:
    return await csv_import_organisation.import_organisation(session, principal=principal, body=body, now=now)


@router.get(
    "/teams/{team_id}/review",
    tags=["reviews"],
    summary="The agenda of a team's 15-minute review, worst first",
    responses=ONE,
)
async def get_review_agenda(
    team_id: UUID,
    principal: Reader,
    session: DbSession,
    now: Clock,
    since: DateOrMoment | None = Query(
        None,
        description="An ISO 8601 date-time with an offset, or a date alone: 00:00 of that day in the organisation's "
        "time zone. Default: the previous recorded review, or 7 days ago",
    ),
    include_sub_teams: bool = False,
) -> ReviewAgenda:
    return await review.agenda(
        session, org_id=principal.org_id, team_id=team_id, since=since, include_sub_teams=include_sub_teams, now=now
    )


@router.post(
    "/teams/{team_id}/reviews",
    tags=["reviews"],
    status_code=status.HTTP_201_CREATED,
    summary="Record that the team held its review (notes, decisions); sets the next agenda's default since",
    responses=ONE,
)
async def record_review(
    team_id: UUID, body: TeamReviewCreate, principal: Writer, session: DbSession, now: Clock
) -> TeamReviewPublic:
    return await review_records.record_review(session, principal=principal, team_id=team_id, body=body, now=now)


@router.get("/teams/{team_id}/reviews", tags=["reviews"], summary="A team's recorded reviews", responses=ONE)
async def list_reviews(team_id: UUID, principal: Reader, session: DbSession, paging: Paging) -> Page[TeamReviewPublic]:
    items, cursor = await review_records.list_reviews(session, org_id=principal.org_id, team_id=team_id, params=paging)
    return Page(items=items, next_cursor=cursor)


@router.get("/reviews/{review_id}", tags=["reviews"], summary="One recorded team review, with its items", responses=ONE)
async def get_review(review_id: UUID, principal: Reader, session: DbSession) -> TeamReviewPublic:
    return await review_records.get_review(session, org_id=principal.org_id, review_id=review_id)


@router.get(
    "/reviews/{review_id}/markdown",
    tags=["reviews"],
    summary="One recorded team review as a Markdown document (notes, decisions, the key results discussed)",
    response_class=Response,
    responses={
        200: {"description": "The review in Markdown", "content": {"text/markdown": {"schema": {"type": "string"}}}},
        **ONE,
    },
)
async def get_review_markdown(review_id: UUID, principal: Reader, session: DbSession) -> Response:
    text, file_name = await review_markdown.document(session, org_id=principal.org_id, review_id=review_id)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
