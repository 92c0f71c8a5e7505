"""The back office's organization life pages: an activity's required items (marked with
their evidence) and a branch's dues register (bases, payments, cancelling); others refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core import clock
from dangjian.orglife import services
from dangjian.orglife.models import DuesBase, DuesRecord, ItemEvidence


def html(response) -> str:
    return response.content.decode()


def items_url(activity):
    return reverse("console:activity_items", args=[activity.pk])


def save_url(activity, item):
    return reverse("console:activity_item_save", args=[activity.pk, item])


def dues_url(branch):
    return reverse("console:dues_register", args=[branch.pk])


def test_the_secretary_marks_an_item_and_the_page_shows_what_is_missing(
    world, activity, after, page
):
    client = page(world.a.branch_admin)
    body = html(client.get(items_url(activity)))
    assert "实行民主公开" in body and "缺项" in body
    r = client.post(
        save_url(activity, "deliberation"),
        {"is_done": "1", "matters": "修缮村道", "decisions": "一致同意"},
    )
    assert r.status_code == 302
    assert ItemEvidence.objects.get(item="deliberation").is_done
    body = html(client.get(items_url(activity)))
    assert 'data-item="deliberation" data-done="1"' in body
    assert "一致同意" in body


def test_an_item_without_its_evidence_shows_the_refusal(world, activity, after, page):
    client = page(world.a.branch_admin)
    r = client.post(save_url(activity, "org_life"), {"is_done": "1"}, follow=True)
    assert "需要会议记录才能标记为已完成" in html(r)
    assert not ItemEvidence.objects.exists()


def test_the_activity_record_links_to_its_items(world, activity, after, page):
    body = html(
        page(world.a.branch_admin).get(reverse("console:activity_record", args=[activity.pk]))
    )
    assert items_url(activity) in body


@pytest.mark.parametrize("who", ["other_county_admin", "outsider", "member"])
def test_others_cannot_open_or_mark_the_items(world, activity, after, page, who):
    user = {
        "other_county_admin": world.b.admin,
        "outsider": world.outsider,
        "member": world.a.member.user,
    }[who]
    client = page(user)
    expected = 404 if who == "other_county_admin" else 403
    assert client.get(items_url(activity)).status_code == expected
    r = client.post(save_url(activity, "org_life"), {"is_done": "1", "text": "记录"})
    assert r.status_code == expected
    assert not ItemEvidence.objects.exists()


def test_a_dues_base_for_a_year_that_is_not_a_plain_number_is_this_years(world, after, page):
    client = page(world.a.branch_admin)
    r = client.post(
        reverse("console:dues_base", args=[world.a.branch.pk]),
        {
            "member_id": world.a.member.pk,
            "year": "²⁰²⁶",
            "category": "employed",
            "monthly_income": "4321.50",
        },
    )
    assert r.status_code == 302
    assert DuesBase.objects.get(member=world.a.member).year == clock.today().year


def test_the_secretary_keeps_the_dues_register(world, after, page):
    client = page(world.a.branch_admin)
    member = world.a.member
    r = client.post(
        reverse("console:dues_base", args=[world.a.branch.pk]),
        {
            "member_id": member.pk,
            "year": "2026",
            "category": "employed",
            "monthly_income": "4321.50",
        },
    )
    assert r.status_code == 302
    assert DuesBase.objects.get(member=member).monthly_amount == Decimal("43.22")
    r = client.post(
        reverse("console:dues_record", args=[world.a.branch.pk]),
        {"member_id": member.pk, "month": "2026-12", "method": "wechat", "amount": ""},
    )
    assert r.status_code == 302
    record = DuesRecord.objects.get(member=member)
    assert record.amount == Decimal("43.22")
    body = html(client.get(dues_url(world.a.branch), {"year": 2026}))
    assert "475.42" in body  # January to November owed, 11 × 43.22
    assert f'data-member="{member.pk}"' in body
    r = client.post(reverse("console:dues_cancel", args=[record.pk]), {"reason": "录错月份"})
    assert r.status_code == 302
    assert not DuesRecord.objects.exists()


def test_a_refused_payment_says_why(world, after, page):
    client = page(world.a.branch_admin)
    r = client.post(
        reverse("console:dues_record", args=[world.a.branch.pk]),
        {"member_id": world.a.member.pk, "month": "2026-12", "method": "cash"},
        follow=True,
    )
    assert "请先核定该党员本年度的党费基数" in html(r)


def test_a_member_of_another_branch_is_not_recorded_from_this_register(world, after, page):
    client = page(world.a.admin)
    r = client.post(
        reverse("console:dues_record", args=[world.a.branch.pk]),
        {"member_id": world.a.member.pk, "month": "2026-12", "method": "cash", "amount": "1"},
    )
    assert r.status_code == 302
    r = client.post(
        reverse("console:dues_record", args=[world.a.other_branch.pk]),
        {"member_id": world.a.member.pk, "month": "2026-11", "method": "cash", "amount": "1"},
    )
    assert r.status_code == 404
    assert DuesRecord.objects.count() == 1


@pytest.mark.parametrize("who", ["other_county_admin", "outsider", "member"])
def test_others_cannot_open_the_register_or_record_dues(world, after, page, who):
    user = {
        "other_county_admin": world.b.admin,
        "outsider": world.outsider,
        "member": world.a.member.user,
    }[who]
    record = services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-11",
        method="cash",
        amount="1",
    )
    client = page(user)
    expected = 404 if who == "other_county_admin" else 403
    assert client.get(dues_url(world.a.branch)).status_code == expected
    r = client.post(
        reverse("console:dues_record", args=[world.a.branch.pk]),
        {"member_id": world.a.member.pk, "month": "2026-12", "method": "cash", "amount": "1"},
    )
    assert r.status_code == expected
    r = client.post(reverse("console:dues_cancel", args=[record.pk]), {"reason": "x"})
    assert r.status_code == expected
    assert DuesRecord.objects.count() == 1


def test_the_register_downloads_as_xlsx_for_its_keepers_only(world, after, page):
    url = reverse("console:dues_export", args=[world.a.branch.pk])
    r = page(world.a.branch_admin).get(url, {"year": 2026})
    assert r.status_code == 200
    assert r.content[:2] == b"PK"
    assert r["Cache-Control"] == "no-store"
    assert page(world.b.admin).get(url).status_code == 404
    assert page(world.outsider).get(url).status_code == 403


def test_the_register_page_reads_the_same_queries_whatever_the_branch_size(world, after, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    client = page(world.a.branch_admin)
    url = dues_url(world.a.branch)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"year": 2026}).status_code == 200
        return len(captured)

    few = queries()
    for i in range(6):
        member = make_member(world.city_admin, world.a.branch, name=f"党员{i}")
        services.set_dues_base(
            actor=world.a.branch_admin, member=member, year=2026, category="student"
        )
        services.record_dues(
            actor=world.a.branch_admin, member=member, month="2026-11", method="cash"
        )
    assert queries() == few


def _section(body: str, item: str) -> str:
    start = body.index(f'data-item="{item}"')
    end = body.find("data-item=", start + 1)
    return body[start : end if end != -1 else len(body)]


@pytest.mark.parametrize(
    ("item", "asked", "not_asked"),
    [
        ("deliberation", ['name="matters"', 'name="decisions"'], ['name="text"']),
        ("org_life", ['name="text"', "会议记录"], ['name="matters"']),
        ("disclosure", ['name="text"', "公开内容"], ['name="matters"']),
        ("dues", ["党费台账"], ['name="text"', 'name="matters"']),
    ],
)
def test_each_items_form_asks_for_the_evidence_it_is_judged_by(
    world, activity, after, page, item, asked, not_asked
):
    section = _section(html(page(world.a.branch_admin).get(items_url(activity))), item)
    assert all(x in section for x in asked)
    assert not any(x in section for x in not_asked)
    # The outsider does not see the form at all.
    assert page(world.outsider).get(items_url(activity)).status_code == 403
