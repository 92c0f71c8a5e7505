"""One notice per user and dedupe key even when pushes of the key run at the same instant:
on PostgreSQL the notices are partitioned by the month of their key (docs/decisions.md,
"Partitioned history"), and `DedupeMonth` must give every push the same month for the
unique (user, dedupe_key, month) to decide. Real concurrency needs real connections:
PostgreSQL only (SQLite serializes every write transaction)."""

import threading

import pytest
from django.db import connection, connections

from dangjian.notifications import services
from dangjian.notifications.models import DedupeMonth, Notification
from tests.conftest import COMMITTED

pytestmark = COMMITTED
THREADS = 6


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def test_pushes_of_one_key_at_the_same_instant_leave_one_notice_per_user(world):
    users = [world.a.member.user_id, world.b.member.user_id, world.a.branch_admin.pk]
    barrier = threading.Barrier(THREADS)
    created, errors = [], []

    def worker():
        try:
            barrier.wait()
            created.append(
                services.notify(user_ids=users, kind="campaign", title="t", dedupe_key="race:1")
            )
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    notices = Notification.objects.filter(dedupe_key="race:1")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted(users)
    assert DedupeMonth.objects.filter(dedupe_key="race:1").count() == 1
