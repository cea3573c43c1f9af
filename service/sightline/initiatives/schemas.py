"""API shapes of initiatives. Money is a Decimal: accepted as a JSON number or string, always sent as a string."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

from sightline.inputs import IsoDate, LongText, Name, Reason, StrictInput
from sightline.timestamps import UtcDateTime

CENT = Decimal("0.01")
SHARE_QUANTUM = Decimal("0.0001")

InitiativeKind = Literal["campaign", "program", "project", "task"]
InitiativeState = Literal["planned", "in_progress", "done", "dropped"]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def money_text(value: Decimal) -> str:
    """Two decimals, plain notation, no negative zero: "1250.00"."""
    if not value:  # most key results of a map have no spend: skip the decimal arithmetic
        return "0.00"
    quantized = value.quantize(CENT)
    return f"{quantized if quantized != 0 else Decimal('0.00'):f}"


def share_text(value: Decimal) -> str:
    return f"{value.quantize(SHARE_QUANTUM):f}"


# Input: a JSON number (1250.5) or a decimal string ("1250.50"); at most two decimals and 12 digits before the
# point. The contract states both forms exactly (a pattern for the string, bounds for the number), and a string
# outside the pattern ("1e3", " 5", "+5") is refused like any other value the contract calls invalid.
MONEY_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"
BUDGET_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
SHARE_PATTERN = r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$"
MONEY_BOUND = 999_999_999_999.99


def _decimal_string(pattern: str, example: str) -> BeforeValidator:
    compiled = re.compile(pattern)

    def check(value: object) -> object:
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise ValueError(f"a decimal string like {example!r} (plain digits, a point, no exponent)")
        return value

    return BeforeValidator(check)


def _number_or_string(number: dict[str, object], pattern: str, example: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", **number},
                {"type": "string", "format": "decimal", "pattern": pattern},
            ],
            "examples": [example],
        },
        mode="validation",
    )


Money = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, allow_inf_nan=False),
    _decimal_string(MONEY_PATTERN, "1250.00"),
    _number_or_string({"minimum": -MONEY_BOUND, "maximum": MONEY_BOUND}, MONEY_PATTERN, "1250.00"),
]
Budget = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False),
    _decimal_string(BUDGET_PATTERN, "5000.00"),
    _number_or_string({"minimum": 0, "maximum": MONEY_BOUND}, BUDGET_PATTERN, "5000.00"),
]
Share = Annotated[
    Decimal,
    Field(gt=0, le=1, max_digits=5, decimal_places=4, allow_inf_nan=False),
    _decimal_string(SHARE_PATTERN, "0.25"),
    _number_or_string({"exclusiveMinimum": 0, "maximum": 1}, SHARE_PATTERN, "0.25"),
]
# Output: always a string with a fixed number of decimals, so no client ever parses money into a float.
MoneyText = Annotated[
    Decimal,
    PlainSerializer(money_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1250.00"]},
        mode="serialization",
    ),
]
ShareText = Annotated[
    Decimal,
    PlainSerializer(share_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "decimal", "pattern": r"^[01]\.\d{4}$", "examples": ["0.2500"]},
        mode="serialization",
    ),
]


class KeyResultLink(StrictInput):
    key_result_id: UUID
    share: Share | None = Field(
        None,
        description="Part of the initiative's money allocated to this key result, in (0, 1]. Without a share, the "
        "link gets an equal part of what the explicit shares leave.",
    )


class KeyResultLinks(StrictInput):
    key_results: list[KeyResultLink] = Field(max_length=200, description="Replaces every link of the initiative")


class InitiativeCreate(StrictInput):
    title: Name
    description: LongText = ""
    kind: InitiativeKind = "project"
    owner_id: UUID | None = Field(None, description="A member of the organisation; defaults to the caller")
    team_id: UUID | None = None
    state: InitiativeState = "planned"
    start_date: IsoDate | None = None
    end_date: IsoDate | None = Field(None, description="Inclusive; on or after start_date")
    planned_budget: Budget = Decimal("0.00")
    currency: CurrencyCode | None = Field(
        None, description="The organisation's currency (the default) or one of its accepted_currencies"
    )
    key_results: list[KeyResultLink] = Field(default_factory=list, max_length=200)


class InitiativeUpdate(StrictInput):
    title: Name | None = None
    description: LongText | None = None
    kind: InitiativeKind | None = None
    owner_id: UUID | None = None
    team_id: UUID | None = Field(None, description="null removes the team")
    state: InitiativeState | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    planned_budget: Budget | None = None
    currency: CurrencyCode | None = Field(None, description="Only while the initiative has no spend entries")


class KeyResultAllocation(BaseModel):
    key_result_id: UUID
    key_result_title: str = Field(description="The key result's title, so a list names what the money moves")
    objective_id: UUID = Field(description="The key result's objective")
    objective_title: str
    share: ShareText | None = Field(description="The share given on the link; null = split equally")
    effective_share: ShareText = Field(description="The share applied (rounded to 4 decimals for display)")
    allocated_budget: MoneyText
    allocated_spend: MoneyText = Field(description="Spend to date allocated to this key result")


class InitiativePublic(BaseModel):
    id: UUID
    title: str
    description: str
    kind: InitiativeKind
    owner_id: UUID
    team_id: UUID | None
    state: InitiativeState
    start_date: date | None
    end_date: date | None
    currency: str
    planned_budget: MoneyText
    actual_spend: MoneyText = Field(description="Sum of the spend entries dated on or before `as_of` (all of them)")
    remaining_budget: MoneyText = Field(description="planned_budget − actual_spend; negative when over budget")
    as_of: date | None = Field(description="The date the spend figures are taken at; null = everything recorded")
    key_results: list[KeyResultAllocation]
    unallocated_share: ShareText = Field(description="Part of the money linked to no key result")
    unallocated_spend: MoneyText
    pacing_day: date = Field(description="The day the pace is taken at: `as_of`, or today in the organisation's zone")
    elapsed_share: ShareText | None = Field(
        description="Share of the initiative's days (start_date to end_date, inclusive) over by the end of "
        "pacing_day; null without both dates"
    )
    expected_spend: MoneyText | None = Field(
        description="planned_budget × elapsed_share, to the cent: what spending to plan would have reached by now"
    )
    spend_vs_expected: MoneyText | None = Field(
        description="actual_spend − expected_spend: positive = spending ahead of the plan, negative = behind"
    )
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class SpendCreate(StrictInput):
    amount: Money = Field(
        description="In the initiative's currency. Negative = a correction of earlier spend (needs a reason)"
    )
    spent_on: IsoDate | None = Field(
        None, description="When the money was spent; defaults to today, never in the future"
    )
    note: LongText = ""
    reason: Reason | None = Field(None, description="Required with a negative amount, refused otherwise")
    currency: CurrencyCode | None = Field(None, description="If given, must be the initiative's currency")


class SpendEntryPublic(BaseModel):
    id: UUID
    initiative_id: UUID
    amount: MoneyText
    currency: str
    spent_on: date
    note: str
    reason: str | None
    author_id: UUID | None
    actor: str
    created_at: UtcDateTime
