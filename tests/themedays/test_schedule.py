"""The rule on an activity's dates, duration and windows (themedays.schedule), as a table of
cases without a database; and the windows of times beyond it (models.window_of)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings

from dangjian.core.errors import DomainError
from dangjian.themedays.models import SHOWABLE_FROM, SHOWABLE_UNTIL, window_of
from dangjian.themedays.schedule import check_schedule
from tests.themedays.conftest import DAY, NOW, SHANGHAI

HOURS = timedelta(hours=1)
PLAN = {
    "starts_at": DAY,
    "ends_at": DAY + 2 * HOURS,
    "checkin_opens_before_min": 30,
    "checkin_closes_after_min": 15,
    "checkout_closes_after_min": 60,
}
FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)

# (what changes in PLAN, the field refused or None when accepted)
CASES = [
    ({}, None),
    (
        {
            "starts_at": datetime(2000, 1, 1, tzinfo=SHANGHAI),
            "ends_at": datetime(2000, 1, 1, 2, tzinfo=SHANGHAI),
        },
        None,
    ),
    ({"starts_at": datetime(1999, 12, 31, 23, 59, tzinfo=SHANGHAI)}, "starts_at"),
    ({"starts_at": FAR_PAST, "ends_at": FAR_PAST + HOURS}, "starts_at"),
    ({"starts_at": FAR_FUTURE, "ends_at": FAR_FUTURE + HOURS / 2}, "starts_at"),
    ({"starts_at": datetime(9999, 6, 1, tzinfo=UTC), "ends_at": None}, "starts_at"),
    # From 2026: until the end of 2031.
    (
        {
            "starts_at": datetime(2031, 12, 31, 20, tzinfo=SHANGHAI),
            "ends_at": datetime(2031, 12, 31, 22, tzinfo=SHANGHAI),
        },
        None,
    ),
    ({"starts_at": datetime(2032, 1, 1, 9, tzinfo=SHANGHAI), "ends_at": None}, "starts_at"),
    ({"starts_at": None, "ends_at": FAR_FUTURE}, "ends_at"),
    ({"starts_at": None, "ends_at": datetime(1999, 1, 1, tzinfo=SHANGHAI)}, "ends_at"),
    # A time without a zone is Shanghai's.
    ({"starts_at": datetime(2026, 12, 10, 9), "ends_at": datetime(2026, 12, 10, 11)}, None),
    ({"ends_at": DAY}, "ends_at"),
    ({"ends_at": DAY - HOURS}, "ends_at"),
    ({"ends_at": DAY + 12 * HOURS}, None),
    ({"ends_at": DAY + 12 * HOURS + timedelta(minutes=1)}, "ends_at"),
    ({"ends_at": DAY + timedelta(days=3650)}, "ends_at"),
    ({"checkin_opens_before_min": 0, "checkin_closes_after_min": 0}, None),
    ({"checkin_opens_before_min": 120, "checkin_closes_after_min": 60}, None),
    ({"checkin_opens_before_min": -1}, "checkin_opens_before_min"),
    ({"checkin_opens_before_min": 121}, "checkin_opens_before_min"),
    ({"checkin_opens_before_min": 10**30}, "checkin_opens_before_min"),
    ({"checkin_closes_after_min": 61}, "checkin_closes_after_min"),
    ({"checkin_closes_after_min": "很多"}, "checkin_closes_after_min"),
    ({"checkin_closes_after_min": True}, "checkin_closes_after_min"),
    ({"checkout_closes_after_min": 240}, None),
    ({"checkout_closes_after_min": 241}, "checkout_closes_after_min"),
    ({"checkout_closes_after_min": 9}, "checkout_closes_after_min"),
    ({"checkout_closes_after_min": float("inf")}, "checkout_closes_after_min"),
    # A partial edit: only what is given is judged.
    (
        {
            "starts_at": None,
            "ends_at": None,
            "checkin_opens_before_min": None,
            "checkin_closes_after_min": None,
            "checkout_closes_after_min": None,
        },
        None,
    ),
]


@pytest.mark.parametrize(("change", "refused"), CASES)
def test_the_schedule_rule(change, refused):
    values = {**PLAN, **change}
    if refused is None:
        check_schedule(**values, now=NOW, policy=settings.ACTIVITY_POLICY)
        return
    with pytest.raises(DomainError) as error:
        check_schedule(**values, now=NOW, policy=settings.ACTIVITY_POLICY)
    assert error.value.code == "validation_error"
    assert error.value.details["field"] == refused
    assert error.value.message


def test_it_names_the_years_an_activity_may_take_place_in():
    with pytest.raises(DomainError) as error:
        check_schedule(starts_at=FAR_PAST, now=NOW)
    assert error.value.message == "活动时间应在 2000 年至 2031 年之间"


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (FAR_PAST, FAR_PAST + HOURS),
        (datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC) + HOURS),
        (FAR_FUTURE, FAR_FUTURE + HOURS / 2),
        (datetime.max.replace(tzinfo=UTC) - HOURS, datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_the_windows_of_a_time_beyond_the_rule_stop_at_what_can_be_shown(starts_at, ends_at):
    activity = SimpleNamespace(
        starts_at=starts_at,
        ends_at=ends_at,
        checkin_opens_before_min=120,
        checkin_closes_after_min=60,
        checkout_closes_after_min=240,
    )
    window = window_of(activity)
    for at in window:
        assert SHOWABLE_FROM <= at <= SHOWABLE_UNTIL
        # Shown in Shanghai (and anywhere else) without overflowing.
        assert at.astimezone(SHANGHAI).year in (1, 9999)
    assert window.checkin_opens_at <= window.checkin_closes_at <= window.checkout_closes_at


def test_the_windows_of_an_ordinary_plan_are_its_minutes_around_it():
    window = window_of(SimpleNamespace(**PLAN))
    assert window.checkin_opens_at == DAY - timedelta(minutes=30)
    assert window.checkin_closes_at == DAY + timedelta(minutes=15)
    assert window.checkout_closes_at == DAY + 2 * HOURS + timedelta(minutes=60)
