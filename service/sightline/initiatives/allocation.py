"""The split rule: how an initiative's money is allocated to its key results (pure, exact, no I/O).

* A link with a share gets that share of the money.
* The part the explicit shares leave (1 − their sum) is split equally among the links without a share.
* When every link has a share and they sum below 1, the rest is *unallocated* (linked to no key result).
* An initiative without links is entirely unallocated.

Amounts are whole cents. The exact parts are rationals; they are rounded so that they add up exactly:
the allocated total is the exact allocated amount rounded half-to-even to the cent, each link gets the
cents of its exact part rounded down, and the cents left over go to the links with the largest
remainders (ties: the smaller key-result id first). Unallocated = amount − allocated total, so no cent
is ever lost or created.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from uuid import UUID


@dataclass(frozen=True)
class Link:
    key_result_id: UUID
    share: Decimal | None


@dataclass(frozen=True)
class Split:
    allocated: dict[UUID, Decimal]  # per key result, in link order
    unallocated: Decimal


def effective_shares(links: Sequence[Link]) -> dict[UUID, Fraction]:
    """The exact share each link receives. Explicit shares must not exceed 1 in total (validated upstream)."""
    explicit = sum((Fraction(link.share) for link in links if link.share is not None), Fraction(0))
    implicit = [link for link in links if link.share is None]
    each = max(Fraction(1) - explicit, Fraction(0)) / len(implicit) if implicit else Fraction(0)
    return {link.key_result_id: Fraction(link.share) if link.share is not None else each for link in links}


def unallocated_share(links: Sequence[Link]) -> Fraction:
    return max(Fraction(1) - sum(effective_shares(links).values(), Fraction(0)), Fraction(0))


def split(amount: Decimal, links: Sequence[Link]) -> Split:
    """Allocate `amount` (whole cents) to the links; the parts and the unallocated rest sum to `amount`."""
    cents = int(amount * 100)
    if Decimal(cents) != amount * 100:
        raise ValueError(f"{amount} is not a whole number of cents")
    sign, magnitude = (-1 if cents < 0 else 1), abs(cents)
    shares = effective_shares(links)
    exact = {kr: magnitude * share for kr, share in shares.items()}
    total = round(sum(exact.values(), Fraction(0)))  # half-to-even on the allocated total
    parts = {kr: math.floor(value) for kr, value in exact.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(exact, key=lambda kr: (-(exact[kr] - parts[kr]), str(kr)))
    for kr in by_remainder[:left]:
        parts[kr] += 1
    return Split(
        allocated={kr: Decimal(sign * part).scaleb(-2) for kr, part in parts.items()},
        unallocated=Decimal(sign * (magnitude - total)).scaleb(-2),
    )


def allocated_total(amount: Decimal, explicit_share_sum: Decimal, implicit_links: int) -> Decimal:
    """What `split` allocates in total, from the link summary alone (used by aggregate queries)."""
    cents = int(amount * 100)
    sign, magnitude = (-1 if cents < 0 else 1), abs(cents)
    share = Fraction(1) if implicit_links else min(Fraction(explicit_share_sum), Fraction(1))
    return Decimal(sign * round(magnitude * share)).scaleb(-2)
