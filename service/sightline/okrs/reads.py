"""One-statement reads of one objective, key result or cycle (docs/decisions/api-fast-reads.md).

The credential and the document come back from one SQL function (migration 0069) as json; the answer is the
same JSON the pydantic models give, built here as dicts and encoded once with orjson: no validation of rows the
database already holds to its constraints. The derived fields go through `derive` and `scoring` (one definition
of every rule); tests/okrs/test_fast_reads.py compares every answer with the slow path's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import orjson
from fastapi import Response

from sightline import scoring
from sightline.errors import NotFound
from sightline.events.redaction import redact_text
from sightline.identity.credentials import WithDocument
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.derive import Calendar, Rollup, expected, key_result_part, rollup
from sightline.okrs.models import Cycle, KeyResult
from sightline.okrs.subgraph import is_fresh, stored
from sightline.scoring import Cadence
from sightline.versions import etag

OBJECTIVE = WithDocument("read_objective", "objective_id")
KEY_RESULT = WithDocument("read_key_result", "key_result_id")
CYCLE = WithDocument("read_cycle", "cycle_id")
KR_FLOATS = ("start_value", "target_value", "current_value", "progress", "score", "weight")
KR_OPTIONAL_FLOATS = ("stretch_value", "previous_value")
OBJECTIVE_FIELDS = ("id", "cycle_id", "title", "description", "level", "team_id", "owner_id", "kind", "state")
_SETTINGS: dict[str, OrganisationSettings] = {}  # settings json text -> parsed (a pure function of the text)
_SETTINGS_MAX = 1024


class Row(dict[str, Any]):
    """A json object read with attributes, as `derive` reads model rows."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass(frozen=True)
class CycleDates:
    """What a `Calendar` reads of its cycle."""

    start_date: date
    end_date: date
    state: str


def respond(body: dict[str, Any]) -> Response:
    """The answer, encoded once; the ETag is the row's version, as `set_etag` writes it."""
    return Response(
        orjson.dumps(body, option=orjson.OPT_UTC_Z),
        media_type="application/json",
        headers={"ETag": etag(body["version"])},
    )


def cycle(document: str | None) -> dict[str, Any]:
    """The body of GET /cycles/{id} (CyclePublic)."""
    if document is None:
        raise NotFound("cycle")
    c = orjson.loads(document)
    return _cycle_public(c)


def key_result(document: str | None, *, now: datetime) -> dict[str, Any]:
    """The body of GET /key-results/{id} (KeyResultPublic)."""
    if document is None:
        raise NotFound("key result")
    parsed = orjson.loads(document)
    return key_result_public(_kr_row(parsed["key_result"]), _calendar(parsed), now)


def objective(document: str | None, *, now: datetime) -> dict[str, Any] | None:
    """The body of GET /objectives/{id} (ObjectivePublic); None when only the slow path can roll it up (a
    stale stored roll-up of an objective that rolls up from children). Fresh: `subgraph.is_fresh`, as the full
    path decides it."""
    if document is None:
        raise NotFound("objective")
    parsed = orjson.loads(document)
    o = parsed["objective"]
    calendar = _calendar(parsed)
    key_results = [_kr_row(kr) for kr in parsed["key_results"]]
    if is_fresh(_ts(o["rollup_at"]), now):
        result = stored(Row(o))
    elif o["progress_from"] == "key_results":
        # Its own key results are all here: the roll-up the slow path computes, from the same rows.
        parts = [key_result_part(cast(KeyResult, kr), calendar=calendar, now=now) for kr in key_results]
        result = rollup(parts, calendar.thresholds)
    else:
        return None
    return {
        **{name: o[name] for name in OBJECTIVE_FIELDS},
        "progress_from": o["progress_from"],
        **_rollup_fields(result),
        "key_results": [key_result_public(kr, calendar, now) for kr in key_results],
        "version": o["version"],
        "created_at": _ts(o["created_at"]),
        "updated_at": _ts(o["updated_at"]),
    }


def key_result_public(kr: Row, calendar: Calendar, now: datetime) -> dict[str, Any]:
    """`derive.key_result_public`'s fields, in its order, from a normalised row."""
    expected_value, expected_progress = expected(kr, calendar=calendar, now=now)
    stale = scoring.is_stale(
        last_check_in_at=kr.last_check_in_at, cycle_start=calendar.start, cadence=Cadence(kr.cadence), now=now
    )
    error = kr.data_source_error
    return {
        **{name: kr[name] for name in ("id", "objective_id", "title", "owner_id", "metric", "unit", "direction")},
        **{name: kr[name] for name in ("start_value", "target_value", "stretch_value", "previous_value", "weight")},
        "cadence": kr.cadence,
        "milestone_plan": [{"date": p["date"], "value": float(p["value"])} for p in kr.milestone_plan],
        "data_source": kr.data_source,
        "data_source_status": kr.data_source_status,
        # Viewers read this: a source's error may quote its URL with a token in it.
        "data_source_error": None if error is None else redact_text(error),
        "data_source_checked_at": kr.data_source_checked_at,
        "external_key": kr.external_key,
        "archived": kr.archived_at is not None,
        **{name: kr[name] for name in ("current_value", "progress", "score", "status", "latest_confidence")},
        "last_check_in_at": kr.last_check_in_at,
        "expected_value": expected_value,
        "expected_progress": expected_progress,
        "stale": stale and calendar.cycle.state == "active",
        "version": kr.version,
        "created_at": kr.created_at,
        "updated_at": kr.updated_at,
    }


def _kr_row(kr: dict[str, Any]) -> Row:
    """A key result's json as the model holds it: floats as floats (json writes 5.0 as 5), moments parsed."""
    row = Row(kr)
    for name in KR_FLOATS:
        row[name] = float(row[name])
    for name in KR_OPTIONAL_FLOATS:
        if row[name] is not None:
            row[name] = float(row[name])
    for name in ("last_check_in_at", "data_source_checked_at", "archived_at", "created_at", "updated_at"):
        row[name] = _ts(row[name])
    return row


def _rollup_fields(result: Rollup) -> dict[str, Any]:
    return {
        "progress": _float(result.progress),
        "expected_progress": _float(result.expected_progress),
        "score": _float(result.score),
        "status": result.status.value,
    }


def _cycle_public(c: dict[str, Any]) -> dict[str, Any]:
    return {
        **{name: c[name] for name in ("id", "name", "start_date", "end_date", "parent_id", "state")},
        "closed_at": _ts(c["closed_at"]),
        "version": c["version"],
        "created_at": _ts(c["created_at"]),
        "updated_at": _ts(c["updated_at"]),
    }


def _calendar(parsed: dict[str, Any]) -> Calendar:
    c = parsed["cycle"]
    dates = CycleDates(date.fromisoformat(c["start_date"]), date.fromisoformat(c["end_date"]), c["state"])
    # A Calendar reads only these three of its cycle.
    return Calendar.of(_settings(parsed["settings"]), cast(Cycle, dates))


def _settings(text: str) -> OrganisationSettings:
    settings = _SETTINGS.get(text)
    if settings is None:
        if len(_SETTINGS) >= _SETTINGS_MAX:
            _SETTINGS.clear()
        settings = _SETTINGS[text] = OrganisationSettings.model_validate_json(text)
    return settings


def _ts(value: str | None) -> datetime | None:
    """A json timestamp (UTC: the functions run with TimeZone UTC)."""
    return None if value is None else datetime.fromisoformat(value)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
