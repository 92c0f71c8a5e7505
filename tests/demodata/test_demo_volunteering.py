"""The demo's volunteer call: 红星村's service menu (the county's and its own), a citizen
login, the demo members' volunteer profiles, orders in several states and the hours of the
ones served, seeded once."""

import io

import pytest
from django.core.management import call_command

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
    served = Order.objects.filter(state=OrderState.CONFIRMED).get()
    assert served.rating == 5
    entries = HoursEntry.objects.filter(org=village)
    assert entries.count() == 2 and all(e.hours == 2 for e in entries)


def test_seeding_again_adds_no_second_menu_or_orders(db):
    _seed()
    orders = Order.objects.count()
    _seed()
    assert Order.objects.count() == orders
    assert ServiceCategory.objects.filter(name="送技能").count() == 1
