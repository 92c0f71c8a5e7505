"""The demo's volunteer call: 红星村's service menu (the county's and its own), a citizen
login, the demo members' volunteer profiles, orders in several states and the hours of the
ones served, seeded once."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dangjian.demodata import volunteering as demo
from dangjian.volunteering import people_selectors
from dangjian.volunteering.models import (
    Citizen,
    HoursEntry,
    Order,
    OrderState,
    ServiceCategory,
    VolunteerProfile,
)

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed", "--scale", "demo", "--no-members", stdout=out)
    return out.getvalue()


def test_the_demo_village_has_a_menu_a_citizen_and_orders_in_several_states(db):
    output = _seed()
    assert "13900000007" in output and "/c/" in output
    citizen = Citizen.objects.get(user__phone=demo.CITIZEN_PHONE)
    village = citizen.community
    assert village.name == "红星村党支部"
    menu = {entry.name for entry in people_selectors.menu_for(village)}
    assert {"送技能", "送服务", "送健康", "微心愿", "果树修剪"} <= menu
    states = set(Order.objects.values_list("state", flat=True))
    assert {
        OrderState.SUBMITTED,
        OrderState.PUBLISHED,
        OrderState.CLAIMED,
        OrderState.DECLINED,
        OrderState.COMPLETED,
        OrderState.CONFIRMED,
    } <= states
    assert VolunteerProfile.objects.filter(community=village).count() >= 1
    served = Order.objects.filter(state__in=[OrderState.COMPLETED, OrderState.CONFIRMED])
    ratings = set(served.filter(state=OrderState.CONFIRMED).values_list("rating", flat=True))
    assert ratings == {4, 5}
    entries = HoursEntry.objects.filter(org=village)
    assert entries.count() == served.count() and all(e.hours == 2 for e in entries)


def test_the_demo_village_had_orders_served_over_the_year(db):
    _seed()
    served = Order.objects.filter(state__in=[OrderState.COMPLETED, OrderState.CONFIRMED])
    months = {(o.completed_at.year, o.completed_at.month) for o in served}
    assert served.count() == 2 + len(range(3, demo.PAST_WEEKS, 2))
    assert len(months) >= 11
    # The year's hours were recorded as each service ended, not on the day of the seed.
    year = HoursEntry.objects.filter(served_on__lt=timezone.localdate() - timedelta(days=14))
    assert year.count() == len(range(3, demo.PAST_WEEKS, 2))
    assert all(timezone.localdate(e.recorded_at) == e.served_on for e in year)


def test_seeding_again_adds_no_second_menu_or_orders(db):
    _seed()
    orders = Order.objects.count()
    _seed()
    assert Order.objects.count() == orders
    assert ServiceCategory.objects.filter(name="送技能").count() == 1
