"""The attendance rules the back office and the phone pages both show, each decided once in
the domain: how many came (`selectors.present`), what the rotating-QR screen shows
(`selectors.screen_code`) and a page's leave decision with its message
(`services.leave_decision`). Pure: tables of cases, no database; the pages that show them
are tested in tests/attendance/test_pages.py and tests/mobile/test_month_pages.py."""

from datetime import timedelta

import pytest
from django.utils import translation

from dangjian.attendance import codes, posters, selectors, services
from dangjian.attendance.models import RotatingQR
from dangjian.themedays.models import Activity, ActivityStatus
from tests.attendance.conftest import DURING

# How many came --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by_status", "expected"),
    [
        ({}, 0),
        ({"pending": 5, "on_leave": 2, "absent": 1}, 0),
        ({"checked_in": 1}, 1),
        ({"checked_out": 2}, 2),
        # Checked in and never out still came (the close marks them so).
        ({"not_checked_out": 3}, 3),
        ({"checked_in": 1, "checked_out": 2, "not_checked_out": 3, "absent": 4}, 6),
        (
            {
                "roster": 9,
                "pending": 1,
                "checked_in": 2,
                "checked_out": 3,
                "on_leave": 1,
                "absent": 1,
                "not_checked_out": 1,
                "corrected": 2,
            },
            6,
        ),
    ],
)
def test_present_counts_checked_in_out_and_not_out(by_status, expected):
    assert selectors.present(by_status) == expected


# What the rotating-QR screen shows -------------------------------------------------------------

SECRET = "s" * 43
ON = RotatingQR(secret=SECRET, is_enabled=True)
OFF = RotatingQR(secret=SECRET, is_enabled=False)


@pytest.mark.parametrize(
    ("setting", "status", "shown"),
    [
        (ON, ActivityStatus.APPROVED, True),
        (OFF, ActivityStatus.APPROVED, False),
        (None, ActivityStatus.APPROVED, False),
        (ON, ActivityStatus.DRAFT, False),
        (ON, ActivityStatus.SUBMITTED, False),
        (ON, ActivityStatus.CLOSED, False),
        (ON, ActivityStatus.CANCELLED, False),
        (OFF, ActivityStatus.CLOSED, False),
    ],
)
def test_the_screen_shows_a_code_only_while_rotating_and_approved(setting, status, shown):
    activity = Activity(status=status, checkin_token="t" * 32)
    screen = selectors.screen_code(activity, setting, DURING)
    if not shown:
        assert screen is None
        return
    url = f"http://127.0.0.1:8000/m/checkin/{'t' * 32}/?c={codes.code_at(SECRET, DURING)}"
    assert screen.svg == posters.qr_svg(url)
    assert screen.seconds_left == codes.seconds_left(DURING)


@pytest.mark.parametrize(
    ("offset_seconds", "seconds_left"), [(0, 30), (1, 29), (29, 1), (30, 30), (45, 15)]
)
def test_the_screen_counts_down_to_the_next_code(offset_seconds, seconds_left):
    # DURING (08:55:00) starts a 30-second step.
    activity = Activity(status=ActivityStatus.APPROVED, checkin_token="t" * 32)
    now = DURING + timedelta(seconds=offset_seconds)
    assert selectors.screen_code(activity, ON, now).seconds_left == seconds_left


# A page's leave decision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "language", "expected"),
    [
        ("approve", "zh-hans", (True, "已批准 张三 的请假。")),
        ("refuse", "zh-hans", (False, "已不批准 张三 的请假。")),
        # The phone's address takes any word: anything but approve refuses, as it did.
        ("reject", "zh-hans", (False, "已不批准 张三 的请假。")),
        ("", "zh-hans", (False, "已不批准 张三 的请假。")),
        ("Approve", "zh-hans", (False, "已不批准 张三 的请假。")),
        ("approve", "en", (True, "Approved leave for 张三.")),
        ("refuse", "en", (False, "Did not approve leave for 张三.")),
    ],
)
def test_a_leave_decision_chooses_approval_and_its_message(decision, language, expected):
    with translation.override(language):
        assert services.leave_decision(decision, "张三") == expected
