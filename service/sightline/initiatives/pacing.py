"""Budget pacing of an initiative: how much of its planned budget should be spent by a given day.

The one place the rule lives (issue 14 point 7): the elapsed share of the initiative's dates
is the number of its days over by the end of the pacing day, out of all its days (both ends inclusive); the
expected spend is the planned budget times that share, rounded to the cent. Without both dates there is no pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sightline.initiatives.schemas import CENT, SHARE_QUANTUM


@dataclass(frozen=True, slots=True)
class Pace:
    elapsed_share: Decimal | None
    expected_spend: Decimal | None
    spend_vs_expected: Decimal | None


NO_PACE = Pace(None, None, None)


def pace(*, planned: Decimal, spent: Decimal, start: date | None, end: date | None, day: date) -> Pace:
    """On the first day 1/n of the budget is expected by the evening, on the last day all of it."""
    if start is None or end is None or end < start:
        return NO_PACE
    days = (end - start).days + 1
    over = min(max((day - start).days + 1, 0), days)
    share = Decimal(over) / Decimal(days)
    expected = (planned * over / days).quantize(CENT, rounding=ROUND_HALF_UP)
    return Pace(
        elapsed_share=share.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP),
        expected_spend=expected,
        spend_vs_expected=spent - expected,
    )
