"""The dues register's arithmetic, as pure functions: which months a member owes and how
much, from what is due each month and what they paid."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0.00")


class Arrears(NamedTuple):
    # The months with nothing paid, in order.
    unpaid_months: list[date]
    # What is still owed over the months: all of an unpaid month's dues, and what a month
    # paid short of its dues lacks. A month whose dues are unknown (no base set) adds
    # nothing to it; `is_assessed` says whether any was.
    owed: Decimal
    is_assessed: bool


def months_of(year: int, *, through: date | None = None, since: date | None = None) -> list[date]:
    """The first days of the year's months, from `since`'s month through `through`'s (the
    whole year without them)."""
    months = [date(year, m, 1) for m in range(1, 13)]
    if since is not None:
        months = [m for m in months if m >= since.replace(day=1)]
    if through is not None:
        months = [m for m in months if m <= through.replace(day=1)]
    return months


def arrears(months: list[date], due: Decimal | None, paid: dict[date, Decimal]) -> Arrears:
    """A member's arrears over `months`, when `due` is owed each month (None: not set) and
    `paid` maps a month to what was paid for it."""
    unpaid = [m for m in months if m not in paid]
    if due is None:
        return Arrears(unpaid, ZERO, False)
    owed = sum((max(due - paid.get(m, ZERO), ZERO) for m in months), ZERO)
    return Arrears(unpaid, owed, True)
