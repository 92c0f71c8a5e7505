"""The Party dues rate table (党费收缴标准), versioned: a member's monthly dues from their
category and monthly income.

The rule applies one rate to the whole income, by the bracket the income falls in (not
progressively): an employed member with 4,000 a month pays 1 % of 4,000. Students and
members in hardship pay a small fixed amount. A new standard is a new `RateTable` with the
month it takes effect; a dues base records the version it was computed with, so a past
year's amounts never change."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

CENT = Decimal("0.01")


class Bracket(NamedTuple):
    # Incomes up to and including `up_to` (None: any above the brackets before it).
    up_to: Decimal | None
    rate: Decimal


class RateTable(NamedTuple):
    version: str
    effective_from: date
    # The brackets of each category paid as a rate, in increasing order.
    brackets: dict[str, tuple[Bracket, ...]]
    # The monthly amount of each category paid as a fixed sum.
    fixed: dict[str, Decimal]


def _brackets(*pairs) -> tuple[Bracket, ...]:
    return tuple(Bracket(None if up is None else Decimal(up), Decimal(rate)) for up, rate in pairs)


# 《关于中国共产党党费收缴、使用和管理的规定》(2008): employed members by their monthly
# income after tax, retired members by their pension, students and members living on
# relief or out of work 0.20 yuan a month.
TABLES: tuple[RateTable, ...] = (
    RateTable(
        version="2008",
        effective_from=date(2008, 4, 1),
        brackets={
            "employed": _brackets(
                ("3000", "0.005"), ("5000", "0.01"), ("10000", "0.015"), (None, "0.02")
            ),
            "retired": _brackets(("5000", "0.005"), (None, "0.01")),
        },
        fixed={"student": Decimal("0.20"), "hardship": Decimal("0.20")},
    ),
)


def table_for(month: date, tables: tuple[RateTable, ...] = TABLES) -> RateTable:
    """The table in force in `month`: the latest to take effect by then (the first one for
    months before any)."""
    current = tables[0]
    for table in sorted(tables, key=lambda t: t.effective_from):
        if table.effective_from <= month:
            current = table
    return current


def needs_income(category: str, table: RateTable) -> bool:
    return category in table.brackets


def monthly_dues(category: str, income: Decimal | None, table: RateTable) -> Decimal:
    """A month's dues, rounded to the cent (half up). ValueError for a category the table
    does not know, or a rated category without a non-negative income."""
    if category in table.fixed:
        return table.fixed[category]
    brackets = table.brackets.get(category)
    if brackets is None:
        raise ValueError(f"unknown dues category {category!r}")
    if income is None or income < 0:
        raise ValueError("a rated category needs a non-negative income")
    rate = next(b.rate for b in brackets if b.up_to is None or income <= b.up_to)
    return (income * rate).quantize(CENT, rounding=ROUND_HALF_UP)
