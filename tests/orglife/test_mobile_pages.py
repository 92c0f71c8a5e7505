"""The phone pages: the branch secretary marks required items and records the month's dues;
a member reads the items; others are refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.orglife import services
from dangjian.orglife.models import DuesRecord, ItemEvidence


def html(response) -> str:
    return response.content.decode()


def items_url(activity):
    return reverse("mobile:activity_items", args=[activity.pk])


def dues_url(branch):
    return reverse("mobile:dues_month", args=[branch.pk])


def test_the_secretary_marks_an_item_on_the_phone(world, activity, after, page):
    client = page(world.a.branch_admin)
    assert "开展民主议事" in html(client.get(items_url(activity)))
    r = client.post(
        items_url(activity),
        {"item": "org_life", "is_done": "1", "text": "支部委员会会议记录"},
    )
    assert r.status_code == 302
    body = html(client.get(items_url(activity)))
    assert 'data-item="org_life" data-done="1"' in body
    assert ItemEvidence.objects.get().text == "支部委员会会议记录"


def test_marking_without_evidence_is_refused_with_the_reason(world, activity, after, page):
    client = page(world.a.branch_admin)
    r = client.post(items_url(activity), {"item": "disclosure", "is_done": "1"}, follow=True)
    assert "公开内容" in html(r)
    assert not ItemEvidence.objects.exists()


def test_the_plans_list_leads_to_the_items_and_the_dues(world, activity, after, page):
    body = html(page(world.a.branch_admin).get(reverse("mobile:plans")))
    assert items_url(activity) in body
    assert dues_url(world.a.branch) in body


def test_a_member_reads_the_items_but_cannot_mark_them(world, activity, after, page):
    services.record_item(
        actor=world.a.branch_admin,
        activity=activity,
        item="charter",
        is_done=True,
        text="诵读第一章",
    )
    client = page(world.a.member.user)
    body = html(client.get(items_url(activity)))
    items = body.split("规定动作</")[-1].split('<footer class="site-footer"')[0]
    assert "诵读第一章" in body and "<form" not in items
    r = client.post(items_url(activity), {"item": "org_life", "is_done": "1", "text": "x"})
    assert r.status_code == 403


@pytest.mark.parametrize("who", ["outsider", "other_county_admin"])
def test_others_cannot_open_the_items(world, activity, after, page, who):
    user = {"outsider": world.outsider, "other_county_admin": world.b.admin}[who]
    client = page(user)
    assert client.get(items_url(activity)).status_code == 404
    r = client.post(items_url(activity), {"item": "org_life", "is_done": "1", "text": "x"})
    assert r.status_code == 404
    assert not ItemEvidence.objects.exists()


def test_the_secretary_records_a_members_dues_for_the_month(world, after, page):
    services.set_dues_base(
        actor=world.a.branch_admin, member=world.a.member, year=2026, category="student"
    )
    client = page(world.a.branch_admin)
    body = html(client.get(dues_url(world.a.branch), {"month": "2026-12"}))
    assert "本月未缴 3 人" in body
    r = client.post(
        dues_url(world.a.branch),
        {"member_id": world.a.member.pk, "month": "2026-12", "method": "wechat"},
    )
    assert r.status_code == 302
    assert DuesRecord.objects.get().amount == Decimal("0.20")
    assert "本月未缴 2 人" in html(client.get(dues_url(world.a.branch), {"month": "2026-12"}))


@pytest.mark.parametrize("month", ["2026-13", "十二月", ""])
def test_dues_posted_for_a_month_that_is_not_one_are_refused_not_put_in_this_month(
    world, after, page, month
):
    services.set_dues_base(
        actor=world.a.branch_admin, member=world.a.member, year=2026, category="student"
    )
    client = page(world.a.branch_admin)
    r = client.post(
        dues_url(world.a.branch),
        {"member_id": world.a.member.pk, "month": month, "method": "wechat"},
        follow=True,
    )
    assert "月份格式应为 YYYY-MM" in html(r)
    assert not DuesRecord.objects.exists()
    # The outsider is refused before the month is read.
    r = page(world.outsider).post(
        dues_url(world.a.branch),
        {"member_id": world.a.member.pk, "month": month, "method": "wechat"},
    )
    assert r.status_code == 404


@pytest.mark.parametrize("who", ["outsider", "other_county_admin", "member"])
def test_others_cannot_open_or_record_the_dues(world, after, page, who):
    user = {
        "outsider": world.outsider,
        "other_county_admin": world.b.admin,
        "member": world.a.member.user,
    }[who]
    client = page(user)
    expected = 403 if who == "member" else 404
    assert client.get(dues_url(world.a.branch)).status_code == expected
    r = client.post(
        dues_url(world.a.branch),
        {"member_id": world.a.member.pk, "month": "2026-12", "method": "cash", "amount": "1"},
    )
    assert r.status_code == expected
    assert not DuesRecord.objects.exists()


def test_a_member_reads_their_own_dues_and_arrears_from_the_profile(world, after, page):
    services.set_dues_base(
        actor=world.a.branch_admin,
        member=world.a.member,
        year=2026,
        category="retired",
        monthly_income="6200",
    )  # 62.00 a month
    for month in ("2026-01", "2026-12"):
        services.record_dues(
            actor=world.a.branch_admin, member=world.a.member, month=month, method="cash"
        )
    client = page(world.a.member.user)
    assert reverse("mobile:my_dues") in html(client.get(reverse("mobile:profile")))
    body = html(client.get(reverse("mobile:my_dues"), {"year": 2026}))
    assert '<dd data-testid="unpaid-months">10</dd>' in body
    assert "620.00" in body  # February to November, 10 × 62.00
    assert "124.00" in body  # paid


def test_my_dues_show_only_the_callers_own(world, after, page):
    services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-12",
        method="cash",
        amount="9.87",
    )
    body = html(page(world.a.flowing.user).get(reverse("mobile:my_dues")))
    assert "9.87" not in body
    assert page(world.outsider).get(reverse("mobile:my_dues")).status_code == 200  # no member
    assert "9.87" not in html(page(world.outsider).get(reverse("mobile:my_dues")))
