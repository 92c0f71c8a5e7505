"""The period a page or request asks for: parsed from its label, or the current one."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.scoring import formula
from dangjian.scoring.formula import Period


def parse_period(text: str) -> Period:
    try:
        return formula.parse_period(text)
    except ValueError:
        raise DomainError(
            "validation_error",
            _("期间格式应为 2026-12（月）、2026-Q4（季度）或 2026（年）"),
            field="period",
        ) from None


def parse_month(value) -> date:
    """A month's first day, from a date (any day of it) or its label `YYYY-MM`; a
    validation_error on `month` otherwise (the dues, the monthly sheets)."""
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        period = formula.parse_period(value if isinstance(value, str) else "")
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise DomainError("validation_error", _("月份格式应为 YYYY-MM"), field="month")
    return period.start


def current_period(kind: str = "month", today: date | None = None) -> Period:
    today = today or clock.today()
    return {"month": formula.month_of, "quarter": formula.quarter_of, "year": formula.year_of}[
        kind
    ](today)
