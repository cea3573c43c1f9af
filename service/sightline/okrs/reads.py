"""One-statement reads of one objective, key result or cycle (docs/decisions/api-fast-reads.md).

The credential and the document come back from one SQL function (migration 0069) as json; the answer is the
same JSON the pydantic models give, built here as dicts and encoded once with orjson: no validation of rows the
database already holds to its constraints. The derived fields go through `derive` and `scoring` (one definition
of every rule); tests/okrs/test_fast_reads.py compares every answer with the slow path's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import orjson
from fastapi import Response

from sightline.errors import NotFound
from sightline.identity.credentials import WithDocument
from sightline.okrs.bodies import Row, objective_body
from sightline.okrs.calendars import settings_of
from sightline.okrs.derive import Calendar, key_result_body, key_result_part, rollup
from sightline.okrs.models import Cycle, KeyResult
from sightline.okrs.subgraph import is_fresh, stored
from sightline.versions import etag

OBJECTIVE = WithDocument("read_objective", "objective_id")
KEY_RESULT = WithDocument("read_key_result", "key_result_id")
CYCLE = WithDocument("read_cycle", "cycle_id")
KR_FLOATS = ("start_value", "target_value", "current_value", "progress", "score", "weight")
KR_OPTIONAL_FLOATS = ("stretch_value", "previous_value")
KR_MOMENTS = ("last_check_in_at", "data_source_checked_at", "archived_at", "created_at", "updated_at")
_CALENDARS: dict[tuple[str, str, str, str], Calendar] = {}  # see `_calendar`
_CACHED_MAX = 1024


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


def answer_cycle(document: str | None, now: datetime) -> Response:
    """GET /cycles/{id} from its document (`now` unused: a cycle derives nothing from the clock)."""
    return respond(cycle(document))


def answer_key_result(document: str | None, now: datetime) -> Response:
    return respond(key_result(document, now=now))


def answer_objective(document: str | None, now: datetime) -> Response | None:
    """None: only the full path can roll this objective up (see `objective`)."""
    body = objective(document, now=now)
    return None if body is None else respond(body)


# Each read's answer from its document: the route's and the pre-router path's (okrs/routes/fast_reads.py).
ANSWERS: dict[WithDocument, Callable[[str | None, datetime], Response | None]] = {
    OBJECTIVE: answer_objective,
    KEY_RESULT: answer_key_result,
    CYCLE: answer_cycle,
}


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
    return key_result_body(_kr_row(parsed["key_result"]), calendar=_calendar(parsed), now=now)


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
    return objective_body(
        {**o, "created_at": _ts(o["created_at"]), "updated_at": _ts(o["updated_at"])},
        result,
        key_results,
        calendar,
        now,
    )


def _kr_row(kr: dict[str, Any]) -> Row:
    """A key result's json as the model holds it: floats as floats (json writes 5.0 as 5), moments parsed."""
    for name in KR_FLOATS:
        kr[name] = float(kr[name])
    for name in KR_OPTIONAL_FLOATS:
        if kr[name] is not None:
            kr[name] = float(kr[name])
    for name in KR_MOMENTS:
        kr[name] = _ts(kr[name])
    return Row(kr)


def _cycle_public(c: dict[str, Any]) -> dict[str, Any]:
    return {
        **{name: c[name] for name in ("id", "name", "start_date", "end_date", "parent_id", "state")},
        "closed_at": _ts(c["closed_at"]),
        "version": c["version"],
        "created_at": _ts(c["created_at"]),
        "updated_at": _ts(c["updated_at"]),
    }


def _calendar(parsed: dict[str, Any]) -> Calendar:
    """The settings and the cycle's bounds: a pure function of the settings' text and the cycle's three fields
    a Calendar reads, so kept (bounded) rather than parsed and converted to the time zone on every read."""
    c = parsed["cycle"]
    key = (parsed["settings"], c["start_date"], c["end_date"], c["state"])
    calendar = _CALENDARS.get(key)
    if calendar is None:
        if len(_CALENDARS) >= _CACHED_MAX:
            _CALENDARS.clear()
        dates = CycleDates(date.fromisoformat(c["start_date"]), date.fromisoformat(c["end_date"]), c["state"])
        calendar = _CALENDARS[key] = Calendar.of(settings_of(parsed["settings"]), cast(Cycle, dates))
    return calendar


def _ts(value: str | None) -> datetime | None:
    """A json timestamp (UTC: the functions run with TimeZone UTC)."""
    return None if value is None else datetime.fromisoformat(value)
