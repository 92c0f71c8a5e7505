"""Benchmark: the monthly supervision job (一月一督查) for the whole seeded city.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/supervision_monthly.py [--month 2026-11]

Runs the scheduled job in this process, as Celery beat's worker would, for the month due
today (or the month given): every county's sheet (the facts of every branch, the XLSX and
the PDF, archived) and its reminders, in-app and handed to the channels. The month's sheets
and reminders already in the database are deleted first, so that it measures a first run;
then it runs again, which must make nothing. Never point it at a database others use: the
seeded city has admins on a few organizations only, so it first makes one member of every
branch and every county without an admin its admin (the secretary a real branch has), for
the reminders to reach as many people as they would.
"""

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
# One outbound batch per notice on the log channel, as the embedded default has it: the
# job's part of the channels (the batches) is measured, their delivery is the workers'.
os.environ.setdefault("NOTIFICATION_CHANNELS", "log")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402

from dangjian.core import clock  # noqa: E402
from dangjian.notifications.models import Notification  # noqa: E402
from dangjian.registry.models import Member, Organization, Role, RoleGrant  # noqa: E402
from dangjian.scoring.selectors.periods import parse_month  # noqa: E402
from dangjian.supervision import monthly, monthly_services  # noqa: E402
from dangjian.supervision.models import MonthlySheet  # noqa: E402

GOAL_SECONDS = 60


def ensure_admins() -> int:
    """An admin for every active branch and county that has none: a member of it (a county:
    of its first branch). Returns how many were granted."""
    have = set(RoleGrant.objects.filter(role=Role.ADMIN).values_list("org_id", flat=True))
    first_user: dict[int, int] = {}
    for branch_id, user_id in (
        Member.objects.filter(is_active=True, user__isnull=False)
        .order_by("branch_id", "pk")
        .values_list("branch_id", "user_id")
    ):
        first_user.setdefault(branch_id, user_id)
    grants = [
        RoleGrant(user_id=user_id, org_id=branch_id, role=Role.ADMIN)
        for branch_id, user_id in first_user.items()
        if branch_id not in have
    ]
    step = Organization.steplen
    for county in monthly.counties():
        if county.pk in have:
            continue
        branch = (
            Organization.objects.filter(path__startswith=county.path, kind="branch")
            .order_by("path")
            .values_list("pk", flat=True)
            .first()
        )
        if branch in first_user and len(county.path) == 2 * step:
            grants.append(RoleGrant(user_id=first_user[branch], org=county, role=Role.ADMIN))
    RoleGrant.objects.bulk_create(grants, batch_size=2000, ignore_conflicts=True)
    return len(grants)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", help="YYYY-MM; default: the month due today")
    args = parser.parse_args()
    # The log channel's deliveries run in this process without Redis: keep them quiet.
    logging.disable(logging.INFO)
    month = (
        parse_month(args.month)
        if args.month
        else monthly.month_due(clock.today(), monthly.policy().day)
    )
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    counties = monthly.counties().count()
    branches = Organization.objects.filter(kind="branch", is_active=True).count()
    print(
        f"database: {connection.vendor}, city: {root.name}, counties: {counties}, "
        f"branches: {branches}, month: {month:%Y-%m}"
    )
    print(f"admins granted where there were none: {ensure_admins()}")
    MonthlySheet.objects.filter(month=month).delete()
    Notification.objects.filter(
        dedupe_key__startswith=f"supervision_monthly:{month:%Y-%m}:"
    ).delete()

    due = monthly.month_due
    for label in ("first run", "second run"):
        monthly.month_due = lambda today, day: month  # noqa: ARG005
        started = time.perf_counter()
        made = monthly_services.make_due_monthly_sheets()
        elapsed = time.perf_counter() - started
        monthly.month_due = due
        sheets = MonthlySheet.objects.filter(month=month)
        totals = sheets.aggregate(
            branches=Sum("branches"), listed=Sum("listed"), reminded=Sum("reminded_users")
        )
        print(
            f"{label}: {elapsed:.1f} s, sheets made {made} (of {sheets.count()}), "
            f"branches {totals['branches']}, listed {totals['listed']}, "
            f"notices {totals['reminded']}, "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
        if label == "first run":
            verdict = "met" if elapsed < GOAL_SECONDS else "NOT met"
            print(f"goal: the whole city's monthly job < {GOAL_SECONDS} s: {verdict}")
    for s in MonthlySheet.objects.filter(month=month).select_related("county"):
        print(
            f"  {s.county.name}: {s.branches} branches, listed {s.listed} (no plan "
            f"{s.no_approved_plan}, not held {s.not_held}, low sign-in {s.low_sign_in}, items "
            f"{s.items_missing}, sent back {s.sent_back}, overdue {s.overdue_rectifications}), "
            f"xlsx {s.xlsx.size // 1024} KiB, pdf {s.pdf.size // 1024} KiB"
        )


if __name__ == "__main__":
    main()
