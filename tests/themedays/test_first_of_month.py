"""The month a campaign or a study package is for (themedays.schedule.first_of_month), as a
table of cases without a database: what is read as which month, and what is refused."""

from datetime import date

import pytest

from dangjian.core.errors import DomainError
from dangjian.themedays.schedule import first_of_month

ACCEPTED = [
    (date(2026, 3, 1), date(2026, 3, 1)),
    (date(2026, 3, 31), date(2026, 3, 1)),
    (date(2024, 2, 29), date(2024, 2, 1)),
    ("2026-03", date(2026, 3, 1)),
    ("2026-12", date(2026, 12, 1)),
    ("2026-1", date(2026, 1, 1)),
    (" 2026-03 ", date(2026, 3, 1)),
    ("2026 - 03", date(2026, 3, 1)),
    ("0001-01", date(1, 1, 1)),
    ("9999-12", date(9999, 12, 1)),
]

REFUSED = [
    "",
    "2026",
    "202603",
    "2026-",
    "-03",
    "2026-00",
    "2026-13",
    "2026-03-05",
    "2026/03",
    "0000-01",
    "10000-01",
    "二〇二六-03",
    "abcd-ef",
]


@pytest.mark.parametrize(("given", "first"), ACCEPTED)
def test_a_month_is_read_as_its_first_day(given, first):
    assert first_of_month(given) == first


@pytest.mark.parametrize("given", REFUSED)
def test_anything_else_is_refused_on_the_month_field(given):
    with pytest.raises(DomainError) as refused:
        first_of_month(given)
    assert refused.value.as_dict() == {
        "code": "validation_error",
        "message": "月份格式应为 YYYY-MM",
        "field": "month",
    }
