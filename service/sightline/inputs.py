"""Shared shapes for request bodies: unknown fields refused, text cleaned and bounded."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from sightline.scoring import EARLIEST_DAY, LATEST_DAY


class StrictInput(BaseModel):
    """Base of every request body: an unknown field is a 422, not silently ignored."""

    # No silent trimming: what the contract says (length, pattern) is checked on exactly what was sent.
    model_config = ConfigDict(extra="forbid")


# Control characters (C0 and C1; PostgreSQL cannot even store NUL) are refused in every text field, in the
# contract itself, so clients and fuzzers see the rule. Single-line fields allow none; long text keeps
# tab, line feed and carriage return. The patterns work in Python, Rust (pydantic-core) and JavaScript.
_SINGLE_LINE = r"^[^\s\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F])?$"
_LABEL = r"^[^\x00-\x1F\x7F-\x9F]*$"
_MULTI_LINE = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_SINGLE_LINE)]
Label = Annotated[str, StringConstraints(max_length=40, pattern=_LABEL)]
LongText = Annotated[str, StringConstraints(max_length=10_000, pattern=_MULTI_LINE)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=_SINGLE_LINE)]
_EMAIL = r"^[^@\s\x00-\x1F\x7F-\x9F]+@[^@\s\x00-\x1F\x7F-\x9F]+\.[^@\s\x00-\x1F\x7F-\x9F]+$"
Email = Annotated[str, StringConstraints(min_length=3, max_length=254, pattern=_EMAIL, to_lower=True)]


def _iso_only(value: object) -> object:
    # Pydantic's lax mode would read 0 or "0" as the Unix epoch; the contract says an ISO 8601 string.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", value):
        raise ValueError("use ISO 8601, e.g. 2026-03-31 or 2026-03-31T09:00:00+02:00")
    if isinstance(value, int | float):
        raise ValueError("use ISO 8601, e.g. 2026-03-31 or 2026-03-31T09:00:00+02:00")
    return value


def _within_years(value: date) -> date:
    # Every date and time accepted lies in the rules' calendar (years 1900-2200): far enough for any plan,
    # history or import, near enough that nothing computed from it (the day after a cycle's end, a time
    # zone's offset, a cadence added to a check-in, a database timestamp) can overflow.
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only), AfterValidator(_within_years)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_within_years)]
# With its offset (a moment, not a wall-clock time): an API key's expiry.
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_within_years)]

_DATE_OR_MOMENT = "use an ISO 8601 date (2026-03-31) or date-time with an offset (2026-03-31T09:00:00+02:00)"


def _date_or_moment(value: object) -> object:
    # Read here, whole, so that the union below only ever sees a date or an aware datetime: one error, on the
    # parameter itself, and never a number read as a Unix time.
    if isinstance(value, date):
        parsed: date = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].+)?", value):
        try:
            parsed = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(_DATE_OR_MOMENT) from None
    else:
        raise ValueError(_DATE_OR_MOMENT)
    if isinstance(parsed, datetime) and parsed.utcoffset() is None:
        raise ValueError(f"give a time zone offset, or a date alone: {_DATE_OR_MOMENT}")
    return parsed


# A point in time given as either (`since` in a query): a date alone means 00:00 of that day in the
# organisation's time zone, which the service applies (it knows the organisation).
DateOrMoment = Annotated[AwareDatetime | date, BeforeValidator(_date_or_moment), AfterValidator(_within_years)]
