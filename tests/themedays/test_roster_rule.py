"""The roster rule as a table of cases, without a database."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dangjian.themedays.roster import Source, Standing, on_roster, source

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)
BEFORE, AFTER = START - timedelta(minutes=1), START + timedelta(minutes=1)
BRANCH, OTHER = 1, 2


@pytest.mark.parametrize(
    ("is_frozen", "now", "expected"),
    [
        (False, BEFORE, Source.LIVE),
        (False, START, Source.AT_START),
        (False, AFTER, Source.AT_START),
        (True, AFTER, Source.FROZEN),
    ],
)
def test_the_source_depends_on_the_start_and_the_freeze(is_frozen, now, expected):
    assert source(starts_at=START, is_frozen=is_frozen, now=now) == expected


here = Standing(BRANCH, True, None)
moved_away_after = Standing(OTHER, True, None, left_branch_after_start=BRANCH)
moved_in_after = Standing(BRANCH, True, None, left_branch_after_start=OTHER)
left_the_day_after = Standing(BRANCH, False, date(2026, 12, 11))
left_that_day = Standing(BRANCH, False, date(2026, 12, 10))
elsewhere = Standing(OTHER, True, None)


@pytest.mark.parametrize(
    ("case", "standing", "is_frozen", "on_frozen", "now", "expected"),
    [
        ("a member of the branch, before the start", here, False, False, BEFORE, True),
        ("a member elsewhere, before the start", elsewhere, False, False, BEFORE, False),
        (
            "a member who has left, before the start",
            left_the_day_after,
            False,
            False,
            BEFORE,
            False,
        ),
        ("no member record at all", None, False, False, BEFORE, False),
        ("not frozen yet: still here", here, False, False, AFTER, True),
        ("not frozen yet: moved away after the start", moved_away_after, False, False, AFTER, True),
        ("not frozen yet: moved in after the start", moved_in_after, False, False, AFTER, False),
        ("not frozen yet: left on a later day", left_the_day_after, False, False, AFTER, True),
        ("not frozen yet: left that day", left_that_day, False, False, AFTER, False),
        ("frozen: on it", elsewhere, True, True, AFTER, True),
        ("frozen: not on it", here, True, False, AFTER, False),
    ],
)
def test_who_is_on_the_roster(case, standing, is_frozen, on_frozen, now, expected):
    assert (
        on_roster(
            branch_id=BRANCH,
            starts_at=START,
            is_frozen=is_frozen,
            on_frozen_roster=on_frozen,
            standing=standing,
            now=now,
        )
        is expected
    ), case
