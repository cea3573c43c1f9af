"""Answers built as plain dicts, encoded once (orjson), for the hot reads: one objective, key result or cycle
(okrs/reads.py) and pages of objectives. The same JSON the pydantic models give, without validating what the
service computed itself: a key result's values come from `derive.key_result_body`, the one definition the
models are validated from too. tests/okrs/test_fast_reads.py and the list tests compare the answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sightline import scoring
from sightline.okrs.derive import Calendar, Rollup, key_result_body

OBJECTIVE_FIELDS = (
    "id",
    "cycle_id",
    "title",
    "description",
    "level",
    "team_id",
    "owner_id",
    "kind",
    "state",
    "carried_from",
)


class Row(SimpleNamespace):
    """A row's columns as attributes, as `derive` reads model rows. A plain instance dict: a dict subclass with
    `__getattr__` paid a failed lookup and an exception on each of the ~40 reads of every key result."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(**values)


def objective_body(
    o: Mapping[str, Any], result: Rollup, key_results: Sequence[Any], calendar: Calendar, now: datetime
) -> dict[str, Any]:
    """ObjectivePublic's fields, in its order; `o` with the objective's columns (moments as datetimes)."""
    elapsed = scoring.elapsed_fraction(cycle_start=calendar.start, cycle_end=calendar.end, now=now)
    return {
        **{name: o[name] for name in OBJECTIVE_FIELDS},
        "progress_from": o["progress_from"],
        **rollup_fields(result),
        "key_results": [key_result_body(kr, calendar=calendar, now=now, elapsed=elapsed) for kr in key_results],
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
