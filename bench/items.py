"""Benchmark: the required items missing across the city, and a branch's dues register.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/items.py [--runs 3]

It writes to the database it is given (use a copy, never the shared one): for the latest
seeded month it marks four of the six items done on every held theme day (in bulk, as
rows, not through the service), and it records a year of dues for the largest branch.
Each run then times `missing_items` over every held activity of the month,
`missing_item_counts` for the city and for its first county, and `dues_register` of the
largest branch, with their queries.
"""

import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dangjian.core import clock  # noqa: E402
from dangjian.orglife import selectors  # noqa: E402
from dangjian.orglife.models import DuesRecord, ItemEvidence  # noqa: E402
from dangjian.registry.models import Member, Organization  # noqa: E402
from dangjian.themedays.models import Activity  # noqa: E402

DONE = ("charter", "study", "org_life", "disclosure")


def timed(label, fn):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed * 1000:.0f} ms, {len(queries)} queries")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    month = Activity.objects.filter(campaign__isnull=False).aggregate(m=Max("campaign__month"))["m"]
    held = list(
        Activity.objects.filter(selectors.held_q(), campaign__month=month).values_list(
            "pk", flat=True
        )
    )
    city = Organization.get_root_nodes().first()
    county = Organization.objects.filter(depth=2).order_by("path").first()
    print(f"month {month:%Y-%m}: {len(held)} held theme days")
    if not ItemEvidence.objects.filter(activity_id__in=held[:1]).exists():
        now = clock.now()
        ItemEvidence.objects.bulk_create(
            (
                ItemEvidence(activity_id=pk, item=item, is_done=True, text="记录", recorded_at=now)
                for pk in held
                for item in DONE
            ),
            batch_size=5000,
        )
    branch_id = (
        Member.objects.filter(is_active=True)
        .values("branch_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["branch_id"]
    )
    branch = Organization.objects.get(pk=branch_id)
    year = month.year
    if not DuesRecord.objects.filter(branch=branch, month__year=year).exists():
        now = clock.now()
        DuesRecord.objects.bulk_create(
            DuesRecord(
                member=m,
                branch=branch,
                month=date(year, k, 1),
                amount=Decimal("12.50"),
                paid_at=now,
                method="wechat",
                recorded_at=now,
            )
            for m in Member.objects.filter(branch=branch, is_active=True)
            for k in range(1, month.month + 1, 2)
        )
    size = Member.objects.filter(branch=branch, is_active=True).count()
    print(f"largest branch {branch.pk}: {size} members")
    for run in range(1, args.runs + 1):
        print(f"run {run}")
        missing = timed("  missing_items (month, city)", lambda: selectors.missing_items(held))
        assert all(v == ["dues", "deliberation"] for v in missing.values() if v)
        timed("  missing_item_counts (city)", lambda: selectors.missing_item_counts(city, month))
        timed(
            "  missing_item_counts (county)", lambda: selectors.missing_item_counts(county, month)
        )
        timed("  dues_register (largest branch)", lambda: selectors.dues_register(branch, year))


if __name__ == "__main__":
    main()
