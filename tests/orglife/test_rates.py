"""The dues rate table against hand-computed amounts (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from dangjian.orglife.rates import TABLES, Bracket, RateTable, monthly_dues, table_for

T2008 = TABLES[0]


@pytest.mark.parametrize(
    ("category", "income", "amount"),
    [
        # employed: the whole income at the rate of its bracket, half up to the cent
        ("employed", "0", "0.00"),
        ("employed", "2999.99", "15.00"),  # 14.99995
        ("employed", "3000", "15.00"),  # 0.5 % up to and including 3,000
        ("employed", "3000.01", "30.00"),  # 1 % above: 30.0001
        ("employed", "4321.50", "43.22"),  # 43.215
        ("employed", "5000", "50.00"),
        ("employed", "5000.01", "75.00"),  # 1.5 %: 75.00015
        ("employed", "7777.77", "116.67"),  # 116.66655
        ("employed", "10000", "150.00"),
        ("employed", "10000.01", "200.00"),  # 2 %: 200.0002
        ("employed", "23456.78", "469.14"),  # 469.1356
        # retired: 0.5 % up to 5,000, 1 % above
        ("retired", "4800", "24.00"),
        ("retired", "5000", "25.00"),
        ("retired", "6200", "62.00"),
        # students and hardship: a fixed 0.20 whatever the income
        ("student", None, "0.20"),
        ("hardship", "1800", "0.20"),
    ],
)
def test_monthly_dues_follow_the_2008_table(category, income, amount):
    income = None if income is None else Decimal(income)
    assert monthly_dues(category, income, T2008) == Decimal(amount)


@pytest.mark.parametrize(
    ("category", "income"), [("employed", None), ("employed", Decimal("-1")), ("soldier", None)]
)
def test_a_rated_category_needs_an_income_and_a_category_the_table_knows(category, income):
    with pytest.raises(ValueError):
        monthly_dues(category, income, T2008)


def test_the_table_in_force_is_the_latest_to_take_effect_by_the_month():
    later = RateTable(
        version="2030",
        effective_from=date(2030, 1, 1),
        brackets={"employed": (Bracket(None, Decimal("0.01")),)},
        fixed={},
    )
    tables = (T2008, later)
    assert table_for(date(2029, 12, 1), tables) is T2008
    assert table_for(date(2030, 1, 1), tables) is later
    assert table_for(date(2000, 1, 1), tables) is T2008
    assert monthly_dues("employed", Decimal("12345.67"), later) == Decimal("123.46")
