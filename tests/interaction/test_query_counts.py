"""The feed and the comment list are what members open most: their number of queries does
not grow with the number of activities, comments, replies, likes or photos."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.interaction import services
from dangjian.interaction.models import Photo
from dangjian.themedays.models import Activity
from tests.interaction.conftest import image_bytes, upload

pytestmark = pytest.mark.django_db


def busy(world, activity, n: int) -> None:
    """n comments, each with a reply and a like, plus likes and photos."""
    for i in range(n):
        c = services.post_comment(actor=world.a.member.user, activity=activity, body=f"评论{i}")
        services.post_comment(actor=world.a.flowing.user, activity=activity, body="回复", parent=c)
        services.like_comment(actor=world.a.flowing.user, comment=c)
    services.like_activity(actor=world.a.member.user, activity=activity)
    services.upload_photo(actor=world.a.branch_admin, activity=activity, file=upload(image_bytes()))


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_comment_list_costs_the_same_for_1_or_10_comments(world, activity, during, api):
    client = api(world.a.member.user)
    path = f"/activities/{activity.pk}/comments"
    busy(world, activity, 1)
    few = queries(lambda: client.get(path))
    busy(world, activity, 9)
    many = queries(lambda: client.get(path))
    assert client.get(path).json()["count"] == 10
    assert many == few


def test_the_feed_costs_the_same_for_1_or_5_activities(world, activity, during, page):
    client = page(world.a.member.user)
    busy(world, activity, 2)
    few = queries(lambda: client.get(reverse("mobile:feed")))
    for i in range(4):
        copy = Activity.objects.get(pk=activity.pk)
        copy.pk = None
        copy.campaign = None
        copy.checkin_token = None
        copy.title = f"活动{i}"
        copy.save()
        busy(world, copy, 2)
    assert Photo.objects.count() == 5
    many = queries(lambda: client.get(reverse("mobile:feed")))
    assert many == few
