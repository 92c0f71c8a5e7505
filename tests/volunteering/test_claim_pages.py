"""The member's volunteer phone pages, the hours on the profile, the citizen's rating form,
and the console's hours pages (ledger, reversal, recorded times, make-ups, certificate),
each with the outsider and a county-B admin."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dangjian.attendance import geo
from dangjian.volunteering import claims, hours
from dangjian.volunteering.models import Claim, HoursEntry, Order, OrderState
from tests.factories import make_admin
from tests.volunteering.conftest import PLACE, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def order(citizen, category):
    return make_order(citizen, category, state=OrderState.PUBLISHED, volunteers_needed=2)


def at(when):
    return time_machine.travel(when, tick=False)


def here(metres=20):
    lat, lon = geo.destination(float(PLACE[0]), float(PLACE[1]), 45, metres)
    return {"latitude": lat, "longitude": lon, "accuracy": 12, "coord_system": "wgs84"}


def fresh(order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_a_member_sees_the_order_claims_it_signs_in_and_out_and_completes(
    world, page, order, citizen
):
    client = page(world.a.member.user)
    listing = client.get("/m/volunteer/")
    assert listing.status_code == 200
    assert order.description[:10] in listing.content.decode()
    detail = client.get(f"/m/volunteer/orders/{order.pk}/")
    assert 'data-testid="claim"' in detail.content.decode()
    resp = client.post(f"/m/volunteer/orders/{order.pk}/claim/", follow=True)
    assert "接单成功" in resp.content.decode()
    claim = Claim.objects.get(order=order, member=world.a.member)
    with at(order.wanted_from):
        far = client.post(
            f"/m/volunteer/claims/{claim.pk}/sign/", {"action": "in", **here(900)}, follow=True
        )
        assert "距离服务地点" in far.content.decode()
        client.post(f"/m/volunteer/claims/{claim.pk}/sign/", {"action": "in", **here()})
    with at(order.wanted_from + timedelta(minutes=60)):
        client.post(f"/m/volunteer/claims/{claim.pk}/sign/", {"action": "out", **here()})
        page_now = client.get(f"/m/volunteer/orders/{order.pk}/").content.decode()
        assert 'data-testid="complete"' in page_now
        empty = client.post(f"/m/volunteer/orders/{order.pk}/complete/", {"note": ""}, follow=True)
        assert "请上传服务照片或填写服务情况" in empty.content.decode()
        client.post(f"/m/volunteer/orders/{order.pk}/complete/", {"note": "已完成理发"})
    assert fresh(order).state == OrderState.COMPLETED
    mine = client.get("/m/volunteer/claims/").content.decode()
    assert "1.00" in mine
    profile = client.get("/m/profile/").content.decode()
    assert 'data-testid="volunteer-hours"' in profile and "1.00" in profile


def test_a_member_releases_before_the_start(world, page, order):
    client = page(world.a.member.user)
    client.post(f"/m/volunteer/orders/{order.pk}/claim/")
    claim = Claim.objects.get(order=order)
    assert (
        'data-testid="release"' in client.get(f"/m/volunteer/orders/{order.pk}/").content.decode()
    )
    client.post(f"/m/volunteer/claims/{claim.pk}/release/")
    assert Claim.objects.get(pk=claim.pk).state == "released"
    assert fresh(order).claimed_count == 0


def test_outsiders_and_county_b_get_404_on_the_volunteer_pages(world, page, order):
    claims.claim_order(actor=world.a.member.user, order=fresh(order))
    claim = Claim.objects.get(order=order)
    b_member = page(world.b.member.user)
    assert b_member.get(f"/m/volunteer/orders/{order.pk}/").status_code == 404
    assert b_member.post(f"/m/volunteer/orders/{order.pk}/claim/").status_code == 404
    assert b_member.post(f"/m/volunteer/claims/{claim.pk}/release/").status_code == 404
    # Accounts without a member record (the outsider, a county office admin) are told so.
    for user in (world.outsider, world.b.admin):
        client = page(user)
        for resp in (
            client.get("/m/volunteer/"),
            client.post(f"/m/volunteer/orders/{order.pk}/claim/"),
            client.post(f"/m/volunteer/claims/{claim.pk}/release/"),
        ):
            assert "mobile/no_member.html" in [t.name for t in resp.templates]
    assert page(None).get("/m/volunteer/").status_code == 302
    assert list(Claim.objects.filter(order=order).values_list("state", flat=True)) == ["claimed"]


def test_county_b_members_do_not_see_county_a_orders(world, page, order):
    resp = page(world.b.member.user).get(f"/m/volunteer/orders/{order.pk}/")
    assert resp.status_code == 404
    assert (
        order.description[:10]
        not in page(world.b.member.user).get("/m/volunteer/").content.decode()
    )


def completed(world, order):
    claim = claims.claim_order(actor=world.a.member.user, order=fresh(order))
    Claim.objects.filter(pk=claim.pk).update(
        state="signed_out",
        signed_in_at=order.wanted_from,
        signed_out_at=order.wanted_from + timedelta(hours=2),
        hours=2,
    )
    Order.objects.filter(pk=order.pk).update(state=OrderState.IN_SERVICE)
    with at(order.wanted_from + timedelta(hours=3)):
        claims.complete_order(actor=world.a.member.user, order=fresh(order), note="完成")
    return Claim.objects.get(pk=claim.pk)


def test_the_citizen_confirms_and_rates_from_the_order_page(world, page, order, citizen):
    completed(world, order)
    client = page(citizen.user)
    detail = client.get(f"/c/orders/{order.pk}/").content.decode()
    assert f'action="/m/volunteer/orders/{order.pk}/confirm/"' in detail
    resp = client.post(f"/m/volunteer/orders/{order.pk}/confirm/", {"rating": "4", "comment": "好"})
    assert resp.status_code == 302
    assert (fresh(order).state, fresh(order).rating) == (OrderState.CONFIRMED, 4)
    again = client.post(f"/m/volunteer/orders/{order.pk}/confirm/", {"rating": "5"}, follow=True)
    assert "已确认并评价" in again.content.decode()
    assert fresh(order).rating == 4


def test_only_the_requester_rates(world, page, order, citizen):
    completed(world, order)
    assert (
        page(world.outsider)
        .post(f"/m/volunteer/orders/{order.pk}/confirm/", {"rating": "5"})
        .status_code
        == 404
    )
    assert (
        page(world.b.admin)
        .post(f"/m/volunteer/orders/{order.pk}/confirm/", {"rating": "5"})
        .status_code
        == 404
    )
    page(world.a.member.user).post(f"/m/volunteer/orders/{order.pk}/confirm/", {"rating": "5"})
    assert fresh(order).rating is None


# Console -------------------------------------------------------------------------------------


def test_the_console_shows_the_ledger_reverses_and_certifies(world, page, order):
    claim = completed(world, order)
    entry = HoursEntry.objects.get(claim=claim)
    client = page(world.a.branch_admin)
    found = client.get("/console/volunteering/hours/", {"q": world.a.member.name})
    assert f"/console/volunteering/hours/members/{world.a.member.pk}/" in found.content.decode()
    ledger = client.get(f"/console/volunteering/hours/members/{world.a.member.pk}/")
    body = ledger.content.decode()
    assert ledger.status_code == 200 and 'data-testid="certificate"' in body and "2.00" in body
    cert = client.get(
        f"/console/volunteering/hours/members/{world.a.member.pk}/certificate/{world.a.branch.pk}/"
    )
    assert cert.status_code == 200 and cert.content.startswith(b"%PDF")
    # The county's admin asking in the name of a branch that recorded nothing of it.
    elsewhere = page(world.a.admin).get(
        f"/console/volunteering/hours/members/{world.a.member.pk}"
        f"/certificate/{world.a.other_branch.pk}/",
        follow=True,
    )
    assert "只有记录时长的组织可以出具证明" in elsewhere.content.decode()
    client.post(f"/console/volunteering/hours/entries/{entry.pk}/reverse/", {"reason": "误记"})
    assert hours.totals_of(world.a.member).hours == 0


def test_outsiders_and_county_b_admins_cannot_reach_the_console_hours(world, page, order):
    claim = completed(world, order)
    entry = HoursEntry.objects.get(claim=claim)
    member_page = f"/console/volunteering/hours/members/{world.a.member.pk}/"
    cert = f"{member_page}certificate/{world.a.branch.pk}/"
    assert page(world.outsider).get(member_page).status_code == 403
    b = page(world.b.admin)
    assert b.get(member_page).status_code == 404
    assert b.get(cert).status_code == 404
    assert (
        b.post(
            f"/console/volunteering/hours/entries/{entry.pk}/reverse/", {"reason": "x"}
        ).status_code
        == 404
    )
    assert b.post(f"/console/volunteering/hours/claims/{claim.pk}/approve/").status_code == 404
    found = b.get("/console/volunteering/hours/", {"q": world.a.member.name}).content.decode()
    assert member_page not in found
    assert not HoursEntry.objects.filter(kind="reversal").exists()


def test_the_console_records_times_and_a_second_admin_approves_the_makeup(world, page, order):
    claim = claims.claim_order(actor=world.a.member.user, order=fresh(order))
    start = order.wanted_from
    with at(start + timedelta(days=2)):
        page(world.a.admin).post(
            f"/console/volunteering/hours/claims/{claim.pk}/record/",
            {
                "signed_in_at": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
                "signed_out_at": (start + timedelta(hours=9, minutes=30)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "reason": "山区无信号",
            },
        )
        recorded = Claim.objects.get(pk=claim.pk)
        assert recorded.is_recorded_by_admin and recorded.is_makeup
        second = make_admin(world.city_admin, world.a.town, "镇管理员")
        queue = page(second).get("/console/volunteering/hours/").content.decode()
        assert f'data-claim="{claim.pk}"' in queue
        refused = page(world.a.admin).post(
            f"/console/volunteering/hours/claims/{claim.pk}/approve/", follow=True
        )
        assert "审批" in refused.content.decode()
        assert Claim.objects.get(pk=claim.pk).makeup_approved_at is None
        page(second).post(f"/console/volunteering/hours/claims/{claim.pk}/approve/")
    assert Claim.objects.get(pk=claim.pk).makeup_approved_by == second


def test_the_consoles_order_page_lists_the_volunteers_and_records_their_times(world, page, order):
    claim = claims.claim_order(actor=world.a.member.user, order=fresh(order))
    client = page(world.a.branch_admin)
    body = client.get(f"/console/volunteering/orders/{order.pk}/").content.decode()
    assert f'data-claim="{claim.pk}"' in body and world.a.member.name in body
    start = order.wanted_from
    with at(start + timedelta(hours=3)):
        resp = client.post(
            f"/console/volunteering/hours/claims/{claim.pk}/record/",
            {
                "next": "order",
                "signed_in_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
                "signed_out_at": timezone.localtime(start + timedelta(hours=2)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "reason": "老人家中无信号",
            },
        )
    assert resp["Location"] == f"/console/volunteering/orders/{order.pk}/"
    recorded = Claim.objects.get(pk=claim.pk)
    assert recorded.is_recorded_by_admin and not recorded.is_makeup
    assert recorded.hours == 2
