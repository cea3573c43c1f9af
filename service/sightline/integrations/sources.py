"""Picking one number out of what a source answered: a JSON value by JSONPath, or a CSV cell. Pure, no I/O.

JSONPath is `jsonpath-ng`'s extended dialect (`$.data.total`, `$.rows[-1].mqls`,
`$.rows[?(@.month == '2026-06')].mqls`); it must select exactly one value. A CSV cell is a column, named by
its header, in one row: a 1-based row number (negative counts from the end; the default is the last row), or
the row whose `match_column` holds `match_value`. Numbers may be written as spreadsheets show them
("9,400", "€ 12,500.50", "45 %", "1.234,5").

A failure's `reason` is shown to the organisation (run log, key result) and never repeats what the source
sent (a value, a header row): with an address the operator allowed, that would read other systems back
through error messages. The full text is `detail`, for the operator's log.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any

import orjson
from jsonpath_ng import JSONPath
from jsonpath_ng.ext.parser import parse as parse_json_path

MAX_ABS_VALUE = 1e15  # what a check-in accepts
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
# An optional currency (symbol or ISO code) before, an optional currency or percent sign after.
_AFFIXED = re.compile(r"^(?:[€$£¥]|[A-Z]{3})?(?P<sign>[+-]?)(?P<digits>[\d.,]+)(?:%|[€$£¥]|[A-Z]{3})?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234,567.89
_GROUPED_EU = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234.567,89
_PLAIN = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")


NOT_A_NUMBER = "the value is not a number"
OUT_OF_RANGE = f"the value is out of range (at most ±{MAX_ABS_VALUE:g})"


class SourceError(Exception):
    """No usable number came from the source: `reason` for the organisation, `detail` for the operator's log."""

    def __init__(self, reason: str, *, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


def _excerpt(value: Any, limit: int = 80) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def parse_number(raw: Any) -> float:
    """A finite number from a JSON number or a number written as text; SourceError otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise SourceError(NOT_A_NUMBER, detail=f"{_excerpt(raw)} is not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        value = _number_from_text(raw)
    else:
        raise SourceError(NOT_A_NUMBER, detail=f"{_excerpt(raw)} is not a number (a {type(raw).__name__})")
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise SourceError(OUT_OF_RANGE, detail=f"{_excerpt(raw)} is out of range")
    return value


def _number_from_text(text: str) -> float:
    affixed = _AFFIXED.match(_SPACES.sub("", text))
    if affixed is None:
        raise SourceError(NOT_A_NUMBER, detail=f"{_excerpt(text)} is not a number")
    digits = affixed["digits"]
    if _PLAIN.match(digits):
        number = digits
    elif _GROUPED.match(digits):
        number = digits.replace(",", "")
    elif _GROUPED_EU.match(digits):
        number = digits.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.match(digits):
        number = digits.replace(",", ".")
    else:
        raise SourceError(NOT_A_NUMBER, detail=f"{_excerpt(text)} is not a number")
    value = float(number)
    return -value if affixed["sign"] == "-" else value


# JSON ----------------------------------------------------------------------------------------------
def compile_path(expression: str) -> JSONPath:
    """The parsed JSONPath, or SourceError with the parser's complaint."""
    try:
        return parse_json_path(expression)
    except Exception as exc:  # the parser raises several unrelated exception types
        raise SourceError(f"not a valid JSONPath expression: {exc}") from exc


def value_from_json(body: bytes, expression: str) -> float:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SourceError("the answer is not JSON", detail=f"the answer is not JSON ({exc})") from exc
    matches = [match.value for match in compile_path(expression).find(document)]
    if not matches:
        raise SourceError(f"the JSONPath {expression} matched nothing in the answer")
    if len(matches) > 1:
        raise SourceError(f"the JSONPath {expression} matched {len(matches)} values; make it select one")
    return parse_number(matches[0])


# CSV -----------------------------------------------------------------------------------------------
def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _column_index(header: list[str], name: str) -> int:
    wanted = name.strip()
    for exact in (True, False):
        for index, cell in enumerate(header):
            if (cell.strip() == wanted) if exact else (cell.strip().casefold() == wanted.casefold()):
                return index
    shown = ", ".join(repr(cell.strip()) for cell in header[:20])
    raise SourceError(f"no column {wanted!r} in the header row", detail=f"no column {wanted!r} in ({shown})")


def value_from_csv(
    body: bytes,
    *,
    column: str,
    row: int | None = None,
    match_column: str | None = None,
    match_value: str | None = None,
) -> float:
    text = _decode(body)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in r)]
    if not rows:
        raise SourceError("the CSV is empty")
    header, data = rows[0], rows[1:]
    if not data:
        raise SourceError("the CSV has a header row and no data rows")
    value_index = _column_index(header, column)
    if match_column is not None:
        key_index = _column_index(header, match_column)
        wanted = (match_value or "").strip()
        found = [r for r in data if key_index < len(r) and r[key_index].strip() == wanted]
        if not found:
            raise SourceError(f"no row has {wanted!r} in column {match_column!r}")
        if len(found) > 1:
            raise SourceError(f"{len(found)} rows have {wanted!r} in column {match_column!r}; make it select one")
        chosen = found[0]
        where = f"the row where {match_column} is {wanted!r}"
    else:
        number = -1 if row is None else row
        position = number - 1 if number > 0 else len(data) + number
        if not 0 <= position < len(data):
            raise SourceError(f"row {number} does not exist: the CSV has {len(data)} data rows")
        chosen = data[position]
        where = f"row {number}"
    if value_index >= len(chosen) or not chosen[value_index].strip():
        raise SourceError(f"column {column!r} is empty in {where}")
    try:
        return parse_number(chosen[value_index])
    except SourceError as exc:
        raise SourceError(f"column {column!r} in {where}: {exc.reason}", detail=exc.detail) from exc
