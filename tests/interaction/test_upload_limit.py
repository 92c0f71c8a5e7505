"""The photo size limit as the upload forms state it (interaction.images.max_upload_mb): whole
MB rounded down, as a table without a database; and the three pages that state it (the
console's record, the secretary's month record and the member's activity page on the phone)
all follow the setting."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from dangjian.interaction import images
from tests.attendance.conftest import check_in
from tests.interaction.conftest import DAY, DURING

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("limit", "stated"),
    [
        (20 * MB, 20),
        (20 * MB + 1, 20),
        (20 * MB - 1, 19),
        (int(7.5 * MB), 7),
        (MB, 1),
        (MB - 1, 0),
    ],
)
def test_the_limit_is_stated_in_whole_mb_rounded_down(limit, stated):
    assert images.max_upload_mb({"max_upload_bytes": limit}) == stated


def test_without_a_policy_the_setting_is_read(settings):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_upload_bytes": 12 * MB + 5}
    assert images.max_upload_mb() == 12


@pytest.mark.django_db
def test_every_upload_form_states_the_setting(world, page, activity, settings):
    settings.PHOTO_POLICY = {**settings.PHOTO_POLICY, "max_upload_bytes": int(7.5 * MB)}
    with time_machine.travel(DAY - timedelta(minutes=5), tick=False):
        check_in(world.a.member.user, activity)
    with time_machine.travel(DURING, tick=False):
        console = page(world.a.branch_admin).get(
            reverse("console:activity_record", args=[activity.pk])
        )
        month = page(world.a.branch_admin).get(reverse("mobile:month_record", args=[activity.pk]))
        feed = page(world.a.member.user).get(reverse("mobile:feed_activity", args=[activity.pk]))
    assert "单张不超过 7 MB" in console.content.decode()
    assert "每张不超过 7 MB" in month.content.decode()
    assert "单张不超过 7 MB" in feed.content.decode()
