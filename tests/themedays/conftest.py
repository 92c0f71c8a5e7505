from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.themedays import services
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The tests live on 2026-12-01 09:00 Shanghai time; the December theme day is on the 10th.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
DAY = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def campaign(world, clock):
    return services.create_campaign(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        theme="学习贯彻党的二十届四中全会精神",
        guidance="各支部围绕主题开展学习研讨。",
        holding_from=date(2026, 12, 1),
        holding_until=date(2026, 12, 20),
    )


def plan_kwargs(**overrides):
    data = {
        "title": "十二月主题党日",
        "starts_at": DAY,
        "ends_at": DAY.replace(hour=11),
        "venue_address": "村党员活动室",
        "latitude": "33.067800",
        "longitude": "107.023400",
        "agenda": list(DEFAULT_REQUIRED_ITEMS),
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(world, campaign):
    return services.draft_activity(
        actor=world.a.branch_admin, branch=world.a.branch, campaign=campaign, **plan_kwargs()
    )
