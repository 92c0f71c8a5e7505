"""An approved theme-day activity of county a's branch on 2026-12-10 09:00–11:00 at the
village activity room (radius 300 m), and helpers to stand somewhere at some time.

Windows with the defaults: check-in 08:30–09:15, check-out 11:00–12:00."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.attendance import checkin, geo
from dangjian.themedays import services as themedays
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
START = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)
END = START.replace(hour=11)
CHECKIN_OPENS = START - timedelta(minutes=30)
CHECKIN_CLOSES = START + timedelta(minutes=15)
CHECKOUT_CLOSES = END + timedelta(minutes=60)
DURING = START - timedelta(minutes=5)
AFTER_END = END + timedelta(minutes=10)
VENUE = (33.0678, 107.0234)
SECOND = timedelta(seconds=1)


def near(metres: float, bearing: float = 90.0) -> tuple[float, float]:
    """A position `metres` from the venue."""
    return geo.destination(*VENUE, bearing, metres)


@contextmanager
def at(when: datetime):
    with time_machine.travel(when, tick=False):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    # The tests travel days ahead; API tokens issued "before" must still work.
    settings.API_TOKEN_TTL = timedelta(days=60)


def make_campaign(world):
    return themedays.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        theme="学习贯彻党的二十届四中全会精神",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )


@pytest.fixture
def campaign(world, clock):
    return make_campaign(world)


def approve(world, branch, admin, reviewer, campaign, **overrides):
    data = {
        "title": "十二月主题党日",
        "starts_at": START,
        "ends_at": END,
        "venue_address": "村党员活动室",
        "latitude": f"{VENUE[0]:.6f}",
        "longitude": f"{VENUE[1]:.6f}",
        "agenda": list(DEFAULT_REQUIRED_ITEMS),
    }
    data.update(overrides)
    activity = themedays.draft_activity(actor=admin, branch=branch, campaign=campaign, **data)
    themedays.submit_activity(actor=admin, activity=activity)
    return themedays.approve_activity(actor=reviewer, activity=activity)


@pytest.fixture
def activity(world, campaign):
    return approve(world, world.a.branch, world.a.branch_admin, world.a.admin, campaign)


def check_in(user, activity, metres: float = 20, accuracy: float = 15, **kw):
    lat, lon = near(metres)
    return checkin.check_in(
        actor=user,
        token=kw.pop("token", activity.checkin_token),
        latitude=lat,
        longitude=lon,
        accuracy_m=accuracy,
        **kw,
    )


def check_out(user, activity, reflection="学习党章，收获很大。", metres: float = 20, **kw):
    lat, lon = near(metres)
    return checkin.check_out(
        actor=user,
        token=kw.pop("token", activity.checkin_token),
        latitude=lat,
        longitude=lon,
        accuracy_m=kw.pop("accuracy", 15),
        reflection=reflection,
        **kw,
    )
