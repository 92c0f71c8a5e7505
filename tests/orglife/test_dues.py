"""Dues bases, dues records and the branch's register, with arrears computed by hand."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.orglife import register, selectors, services
from dangjian.orglife.models import DuesRecord
from tests.factories import make_member
from tests.orglife.conftest import AFTER

D = Decimal


def pay(world, member, month, amount=None, method="cash", actor=None):
    return services.record_dues(
        actor=actor or world.a.branch_admin,
        member=member,
        month=month,
        method=method,
        amount=amount,
    )


def base(world, member, category, income=None, year=2026):
    return services.set_dues_base(
        actor=world.a.branch_admin,
        member=member,
        year=year,
        category=category,
        monthly_income=income,
    )


@pytest.mark.parametrize(
    ("due", "paid", "unpaid", "owed"),
    [
        ("10.00", {}, [1, 2, 3], "30.00"),
        ("10.00", {1: "10.00", 3: "10.00"}, [2], "10.00"),
        ("10.00", {1: "4.50", 2: "10.00", 3: "12.00"}, [], "5.50"),  # over-paying is no credit
        ("43.22", {2: "20.00"}, [1, 3], "109.66"),
        (None, {1: "5.00"}, [2, 3], "0.00"),
    ],
)
def test_arrears_count_unpaid_months_and_what_each_month_lacks(due, paid, unpaid, owed):
    months = [date(2026, m, 1) for m in (1, 2, 3)]
    result = register.arrears(
        months,
        None if due is None else D(due),
        {date(2026, m, 1): D(v) for m, v in paid.items()},
    )
    assert result.unpaid_months == [date(2026, m, 1) for m in unpaid]
    assert result.owed == D(owed)
    assert result.is_assessed is (due is not None)


def test_months_of_a_year_run_from_joining_through_today():
    assert register.months_of(2026, since=date(2026, 10, 20), through=date(2026, 12, 5)) == [
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]
    assert len(register.months_of(2026)) == 12


def test_a_base_computes_the_monthly_dues_by_the_table_and_is_audited(world, after):
    dues_base = base(world, world.a.member, "employed", "4321.50")
    assert dues_base.monthly_amount == D("43.22")
    assert dues_base.table_version == "2008"
    assert AuditEntry.objects.filter(action="dues.set_base", object_id=str(dues_base.pk)).exists()
    again = base(world, world.a.member, "student", "4321.50")
    assert (again.pk, again.monthly_amount, again.monthly_income) == (
        dues_base.pk,
        D("0.20"),
        None,
    )


def test_a_rated_category_needs_an_income(world, after):
    with pytest.raises(DomainError) as error:
        base(world, world.a.member, "employed")
    assert error.value.details["field"] == "monthly_income"


def test_a_payment_without_an_amount_is_the_months_dues_of_the_base(world, after):
    base(world, world.a.member, "retired", "6200")
    record = pay(world, world.a.member, "2026-12")
    assert (record.amount, record.month, record.branch) == (
        D("62.00"),
        date(2026, 12, 1),
        world.a.branch,
    )
    assert AuditEntry.objects.get(action="dues.record").after["amount"] == "62.00"


def test_a_payment_without_an_amount_or_a_base_is_refused(world, after):
    with pytest.raises(DomainError) as error:
        pay(world, world.a.member, "2026-12")
    assert error.value.code == "dues_base_missing"


def test_a_month_is_paid_once(world, after):
    pay(world, world.a.member, "2026-12", "10")
    with pytest.raises(DomainError) as error:
        pay(world, world.a.member, date(2026, 12, 20), "10")
    assert error.value.code == "already_paid"
    assert DuesRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("month", "amount", "method"),
    [
        ("2026-12", "0", "cash"),
        ("2026-12", "-1", "cash"),
        ("2026-12", "1.234", "cash"),
        ("2026-12", "NaN", "cash"),
        ("2026-12", "abc", "cash"),
        ("2026-12", "1", "gold"),
        ("2026-13", "1", "cash"),
        ("2009-12", "1", "cash"),  # before joining (2010-07)
    ],
)
def test_a_payment_with_a_bad_field_is_refused(world, after, month, amount, method):
    with pytest.raises(DomainError) as error:
        pay(world, world.a.member, month, amount, method)
    assert error.value.code == "validation_error"


@pytest.mark.parametrize("who", ["member", "other_county_admin", "outsider"])
def test_only_the_admins_over_the_branch_record_dues(world, after, who):
    actor = {
        "member": world.a.member.user,
        "other_county_admin": world.b.admin,
        "outsider": world.outsider,
    }[who]
    with pytest.raises(DomainError) as error:
        pay(world, world.a.member, "2026-12", "10", actor=actor)
    assert error.value.code in ("forbidden", "not_found")


def test_a_record_entered_by_mistake_is_cancelled_with_a_reason(world, after):
    record = pay(world, world.a.member, "2026-12", "10")
    with pytest.raises(DomainError):
        services.cancel_dues_record(actor=world.a.branch_admin, record=record, reason=" ")
    services.cancel_dues_record(actor=world.a.branch_admin, record=record, reason="重复录入")
    assert not DuesRecord.objects.exists()
    assert AuditEntry.objects.get(action="dues.cancel").after == {"reason": "重复录入"}


def test_the_register_gives_each_members_arrears_exactly(world):
    with time_machine.travel(AFTER, tick=False):
        newcomer = make_member(
            world.city_admin,
            world.a.branch,
            name="新党员",
            join_date=date(2026, 7, 15),
            full_date=None,
            status="probationary",
        )
    with time_machine.travel(AFTER, tick=False):
        base(world, world.a.member, "employed", "4321.50")  # 43.22 a month
        base(world, world.a.flowing, "student")  # 0.20
        base(world, newcomer, "retired", "6200")  # 62.00
        for month in ("2026-01", "2026-02", "2026-12"):
            pay(world, world.a.member, month)
        pay(world, world.a.member, "2026-03", "20.00")
        pay(world, world.b.member, "2026-03", "9.99", actor=world.b.branch_admin)
        reg = selectors.dues_register(world.a.branch, 2026)
    rows = {row.member.name: row for row in reg.rows}
    assert set(rows) == {"汉台区党员", "汉台区流动党员", "汉台区支部书记", "新党员"}
    member = rows["汉台区党员"]
    # April to November unpaid (8 × 43.22 = 345.76) and March 23.22 short.
    assert member.arrears.unpaid_months == [date(2026, m, 1) for m in range(4, 12)]
    assert member.arrears.owed == D("368.98")
    assert member.paid_total == D("149.66")
    assert member.records[date(2026, 3, 1)].amount == D("20.00")
    assert member.records[date(2026, 4, 1)] is None
    assert rows["汉台区流动党员"].arrears.owed == D("2.40")
    assert len(rows["汉台区流动党员"].arrears.unpaid_months) == 12
    secretary = rows["汉台区支部书记"].arrears
    assert (len(secretary.unpaid_months), secretary.owed, secretary.is_assessed) == (
        12,
        D("0.00"),
        False,
    )
    # Joined in July: owes July to December, 6 × 62.00.
    assert rows["新党员"].arrears.owed == D("372.00")
    assert rows["新党员"].arrears.unpaid_months[0] == date(2026, 7, 1)
    assert reg.owed_total == D("743.38")
    assert reg.paid_total == D("149.66")


def test_the_register_counts_only_the_months_up_to_today(world):
    with time_machine.travel(AFTER, tick=False):
        base(world, world.a.member, "employed", "3000")  # 15.00
        base(world, world.a.member, "employed", "3000", year=2025)
    reg_2026 = selectors.dues_register(world.a.branch, 2026, today=date(2026, 6, 15))
    row = next(r for r in reg_2026.rows if r.member == world.a.member)
    assert (len(row.arrears.unpaid_months), row.arrears.owed) == (6, D("90.00"))
    reg_2025 = selectors.dues_register(world.a.branch, 2025, today=date(2026, 6, 15))
    row = next(r for r in reg_2025.rows if r.member == world.a.member)
    assert row.arrears.owed == D("180.00")
    reg_2027 = selectors.dues_register(world.a.branch, 2027, today=date(2026, 6, 15))
    assert all(r.arrears.unpaid_months == [] for r in reg_2027.rows)


def test_the_members_who_have_not_paid_for_a_month_are_listed(world, after):
    pay(world, world.a.member, "2026-12", "10")
    unpaid = selectors.unpaid_members(world.a.branch, date(2026, 12, 1))
    assert world.a.member not in unpaid
    assert {m.name for m in unpaid} == {"汉台区流动党员", "汉台区支部书记"}


def test_the_register_takes_three_queries_whatever_the_branch_size(
    world, after, django_assert_num_queries
):
    for i in range(5):
        member = make_member(world.city_admin, world.a.branch, name=f"党员{i}")
        pay(world, member, "2026-11", "1.00")
    with django_assert_num_queries(3):
        reg = selectors.dues_register(world.a.branch, 2026)
        assert len(reg.rows) == 8


def test_the_register_exports_to_xlsx_with_the_arrears(world, after):
    import io

    from openpyxl import load_workbook

    from dangjian.orglife import exports

    base(world, world.a.member, "employed", "3000")  # 15.00
    pay(world, world.a.member, "2026-01")
    content, filename, _ = exports.register_xlsx(selectors.dues_register(world.a.branch, 2026))
    assert filename.endswith("2026-党费台账.xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    member = rows["汉台区党员"]
    assert member[3] == 15.0 and member[4] == "欠"
    assert member[-3:] == (15.0, 11, 165.0)
    assert rows["合计"][-1] == 165.0


def test_a_member_who_moved_counts_what_they_paid_before_and_the_old_branch_keeps_it(world, after):
    from dangjian.registry import services as registry

    base(world, world.a.member, "employed", "3000")  # 15.00
    for month in ("2026-01", "2026-02"):
        pay(world, world.a.member, month)
    registry.transfer_member(
        actor=world.a.admin, member=world.a.member, to_branch=world.a.other_branch, reason="搬迁"
    )
    world.a.member.refresh_from_db()
    pay(world, world.a.member, "2026-03", actor=world.a.admin)
    new = selectors.dues_register(world.a.other_branch, 2026)
    row = next(r for r in new.rows if r.member == world.a.member)
    # Paid January and February to the old branch, March to the new: April to December owed.
    assert row.arrears.unpaid_months == [date(2026, m, 1) for m in range(4, 13)]
    assert row.arrears.owed == D("135.00")
    assert row.records[date(2026, 1, 1)].branch == world.a.branch
    old = selectors.dues_register(world.a.branch, 2026)
    row = next(r for r in old.rows if r.member == world.a.member)
    assert [m for m, r in row.records.items() if r] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert row.arrears.owed == D("0.00")
