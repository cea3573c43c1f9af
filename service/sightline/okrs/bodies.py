"""Answers built as plain dicts, encoded once (orjson), for the hot reads: one objective, key result or cycle
(okrs/reads.py) and pages of objectives. The same JSON the pydantic models give, without validating what the
service computed itself; the derived fields go through `derive` and `scoring` (one definition of every rule).
tests/okrs/test_fast_reads.py and the list tests compare them with the models' answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sightline import scoring
from sightline.events.redaction import redact_text
from sightline.okrs.derive import Calendar, Rollup, expected
from sightline.scoring import Cadence

OBJECTIVE_FIELDS = ("id", "cycle_id", "title", "description", "level", "team_id", "owner_id", "kind", "state")


class Row(dict[str, Any]):
    """A json object read with attributes, as `derive` reads model rows."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


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


def objective_body(
    o: Mapping[str, Any], result: Rollup, key_results: Sequence[Any], calendar: Calendar, now: datetime
) -> dict[str, Any]:
    """ObjectivePublic's fields, in its order; `o` with the objective's columns (moments as datetimes)."""
    return {
        **{name: o[name] for name in OBJECTIVE_FIELDS},
        "progress_from": o["progress_from"],
        **rollup_fields(result),
        "key_results": [key_result_public(kr, calendar, now) for kr in key_results],
        "version": o["version"],
        "created_at": o["created_at"],
        "updated_at": o["updated_at"],
    }


def rollup_fields(result: Rollup) -> dict[str, Any]:
    return {
        "progress": _float(result.progress),
        "expected_progress": _float(result.expected_progress),
        "score": _float(result.score),
        "status": result.status.value,
    }


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
