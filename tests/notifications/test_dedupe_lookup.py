"""A push of a dedupe key notifies only the users it has not reached, decided by the unique
index in the insert itself, however stale the planner's statistics: a month's partition
fills with millions of one key's notices within one distribution before anything analyzes
it, and a lookup of who had the notice already then read all of them for every batch
(docs/performance.md, "A province")."""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.core import clock, partitions
from dangjian.notifications import services as notifications
from dangjian.notifications.models import Notification
from dangjian.registry.models import User

pytestmark = pytest.mark.django_db

KEY = "campaign:lookup"
NOTICE = {"kind": "campaign", "title": "本月主题党日", "body": "", "link": "/m/"}


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _users(count: int) -> list[int]:
    users = User.objects.bulk_create(
        [User(phone=f"166{i:08d}", name=f"党员{i}") for i in range(count)]
    )
    return [u.pk for u in users]


def test_a_push_notifies_only_those_it_has_not_reached_and_says_whom(world):
    ids = _users(6)
    assert notifications.notify(user_ids=ids[:4], dedupe_key=KEY, **NOTICE) == 4
    with CaptureQueriesContext(connection) as queries:
        created = notifications.notify(user_ids=[*ids, ids[0]], dedupe_key=KEY, **NOTICE)
    assert created == 2
    assert Notification.objects.filter(dedupe_key=KEY).count() == 6
    assert sorted(
        Notification.objects.filter(dedupe_key=KEY).values_list("user_id", flat=True)
    ) == sorted(ids)
    # No lookup of the key's notices before the insert: the insert answers whom it reached.
    reads = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'notification"' in q["sql"]
    ]
    assert reads == []
    assert notifications.notify(user_ids=ids, dedupe_key=KEY, **NOTICE) == 0
    assert notifications.count_with_key(KEY) == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner is PostgreSQL's")
def test_with_stale_statistics_a_batch_reads_only_its_own_users():
    reached, batch_size = 20_000, notifications.BATCH_SIZE
    ids = _users(reached + batch_size // 2)
    # The statistics see the month's earlier notices and none of this key's, as at a
    # distribution's start; then the key's notices arrive, unanalyzed.
    notifications.notify(user_ids=ids[:1000], dedupe_key="campaign:earlier", **NOTICE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    now, month = clock.now(), partitions.month_of(clock.now())
    Notification.objects.bulk_create(
        [
            Notification(user_id=i, dedupe_key=KEY, created_at=now, month=month, **NOTICE)
            for i in ids[:reached]
        ],
        batch_size=5000,
    )
    batch = ids[reached - batch_size // 2 :]  # half of them reached already

    with CaptureQueriesContext(connection) as queries:
        assert notifications.notify(user_ids=batch, dedupe_key=KEY, **NOTICE) == batch_size // 2
    (insert,) = [
        q["sql"] for q in queries if q["sql"].startswith("INSERT INTO notifications_notification")
    ]

    # The same statement again (all of it conflicting now), executed and rolled back.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + insert)
            plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    assert plan["Conflicting Tuples"] == batch_size
    assert (
        max(n.get("Actual Rows", 0) * n.get("Actual Loops", 1) for n in _nodes(plan)) <= batch_size
    )
