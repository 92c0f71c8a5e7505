"""notify_each: many notices, each its own, in one insert and one outbound batch per
channel; a dedupe key already held by a recipient sends them nothing again."""

import pytest

from dangjian.notifications import channels, services
from dangjian.notifications.models import Notification, OutboundBatch
from dangjian.registry.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    return [User.objects.create_user(phone=f"1370000000{i}", name=f"用户{i}") for i in range(3)]


@pytest.fixture(autouse=True)
def _log_channel(settings):
    channels.get.cache_clear()
    settings.NOTIFICATION_CHANNELS = ["log"]
    yield
    channels.get.cache_clear()


def notice(user, key, title):
    return {
        "user_id": user.pk,
        "kind": "supervision",
        "title": title,
        "body": f"{title}的内容",
        "link": "/console/",
        "dedupe_key": key,
    }


def test_each_recipient_gets_their_own_notice_in_one_batch(users, django_assert_max_num_queries):
    a, b, c = users
    with django_assert_max_num_queries(8):
        created = services.notify_each(
            [notice(a, "k:1", "甲"), notice(b, "k:2", "乙"), notice(c, "k:2", "乙")]
        )
    assert created == 3
    assert {(n.user_id, n.title, n.dedupe_key) for n in Notification.objects.all()} == {
        (a.pk, "甲", "k:1"),
        (b.pk, "乙", "k:2"),
        (c.pk, "乙", "k:2"),
    }
    (batch,) = OutboundBatch.objects.all()
    sent = batch.payload["notices"]
    assert [(n["user_id"], n["title"], n["key"], n["phone"]) for n in sent] == [
        (a.pk, "甲", "k:1", a.phone),
        (b.pk, "乙", "k:2", b.phone),
        (c.pk, "乙", "k:2", c.phone),
    ]
    assert sent[0]["url"].endswith("/console/")


def test_a_notice_already_held_is_not_sent_again(users):
    a, b, _c = users
    services.notify_each([notice(a, "k:1", "甲")])
    created = services.notify_each([notice(a, "k:1", "甲"), notice(b, "k:1", "甲")])
    assert created == 1
    assert Notification.objects.filter(dedupe_key="k:1").count() == 2
    assert OutboundBatch.objects.count() == 2
    assert services.notify_each([notice(a, "k:1", "甲"), notice(a, "k:1", "甲")]) == 0
    assert OutboundBatch.objects.count() == 2


def test_the_same_notice_twice_in_one_call_is_sent_once(users):
    a = users[0]
    assert services.notify_each([notice(a, "k:1", "甲"), notice(a, "k:1", "甲")]) == 1


def test_every_notice_needs_a_dedupe_key(users):
    with pytest.raises(ValueError):
        services.notify_each([{**notice(users[0], "", "甲")}])
