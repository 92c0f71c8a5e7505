"""Benchmark: one-click distribution of a campaign to the whole seeded city.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    .venv/bin/python bench/distribute.py

Runs the distribution in this process (as the Celery worker would), then a second click,
and prints the wall time, branches, notices and peak memory of each.
"""

import os
import resource
import sys
import time
from datetime import date

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
# The log channel would print one line a batch; measure the database work only.
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from dangjian.notifications.models import Notification  # noqa: E402
from dangjian.registry.models import Member, Organization, Role, RoleGrant  # noqa: E402
from dangjian.themedays import services  # noqa: E402
from dangjian.themedays.models import PlanningTask  # noqa: E402


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    print(
        f"database: {connection.vendor}, city: {root.name}, "
        f"branches: {Organization.objects.filter(kind='branch').count()}, "
        f"members: {Member.objects.filter(is_active=True).count()}"
    )
    campaign = services.create_campaign(
        actor=admin,
        org=root,
        month=date.today().strftime("%Y-%m"),
        theme=f"基准测试 {time.strftime('%H:%M:%S')}",
        holding_from=date.today(),
        holding_until=date.today(),
    )
    for label in ("first click", "second click"):
        started = time.perf_counter()
        result = services.request_distribution(actor=admin, campaign=campaign)
        elapsed = time.perf_counter() - started
        campaign.refresh_from_db()
        print(
            f"{label}: {elapsed:.1f} s, already_distributed={result['already_distributed']}, "
            f"branches={campaign.distributed_branches}, notices={campaign.notified_members}, "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    assert PlanningTask.objects.filter(campaign=campaign).count() == campaign.distributed_branches
    assert Notification.objects.filter(dedupe_key=campaign.dedupe_key).count() == (
        campaign.notified_members
    )


if __name__ == "__main__":
    main()
