"""Benchmark: the city's quarterly bulletin (一季一通报), PDF and XLSX.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bulletin.py [--quarter 2026-Q3] [--publish]

As the city's admin and in this process, as a request would: reads the figures of the
quarter (rankings by county, sector and branch, months missed, late records, corrections,
spot checks, rectifications, and the other parts' counts), draws the PDF and the workbook
once each to show where the time goes, then times the service itself (`generate_bulletin`:
the same reads and drawing, the files stored with their hashes) — the goal. With
--publish, also publishes it, the notice to every member of the city sent in this process
(Celery eager without REDIS_URL). The quarter's bulletins already in the database are
deleted first, so that it can be run again. Never point it at a database others use.
"""

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "log")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402

from dangjian.core import clock  # noqa: E402
from dangjian.registry.models import Organization, Role, RoleGrant  # noqa: E402
from dangjian.scoring.formula import quarter_of, shift  # noqa: E402
from dangjian.scoring.selectors import parse_period  # noqa: E402
from dangjian.supervision import bulletin_figures, bulletin_files, bulletins  # noqa: E402
from dangjian.supervision.models import Bulletin, BulletinFile  # noqa: E402

GOAL_SECONDS = 60


def timed(label, fn):
    reset_queries()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s, {len(connection.queries)} queries")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quarter", help="default: the last quarter before today")
    parser.add_argument("--publish", action="store_true", help="publish and notify too")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    # The files go to a scratch directory, not the checkout's media.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bulletin-bench-")
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    grant = RoleGrant.objects.filter(role=Role.ADMIN, org=root).select_related("user").first()
    if grant is None:
        sys.exit("The city has no admin.")
    actor = grant.user
    period = parse_period(args.quarter) if args.quarter else shift(quarter_of(clock.today()), -1)
    year, number = period.start.year, (period.start.month - 1) // 3 + 1
    branches = Organization.objects.filter(kind="branch", is_active=True).count()
    print(
        f"database: {connection.vendor}, city: {root.name}, branches: {branches}, "
        f"quarter: {period.label}"
    )
    old = Bulletin.objects.filter(org=root, year=year, quarter=number)
    BulletinFile.objects.filter(bulletin__in=old).delete()
    Bulletin.objects.filter(pk__in=old.filter(replaces__isnull=False).values("pk")).delete()
    old.delete()
    connection.force_debug_cursor = True
    print("where the time goes (each part once):")
    figures, _t = timed(
        "figures", lambda: bulletin_figures.figures(root, period, today=clock.today())
    )
    ranking = figures.pop("ranking")
    pdf, _t = timed("PDF", lambda: bulletin_files.render_pdf(figures))
    xlsx, _t = timed("XLSX", lambda: bulletin_files.render_xlsx(figures, ranking=ranking))
    print("the goal:")
    found, total = timed(
        "generate_bulletin (figures, PDF, XLSX, stored with their hashes)",
        lambda: bulletins.generate_bulletin(actor=actor, org=root, year=year, quarter=number),
    )
    connection.force_debug_cursor = False
    f = found.figures
    print(
        f"ranked {len(ranking)} branches, {len(f['children'])} counties, "
        f"{len(f['sectors'])} sectors; months missed {f['missed']['branch_months']} "
        f"({f['missed']['branches']} branches); late records {f['late_records']['count']}; "
        f"corrections {f['corrections']['count']}; spot-checked {f['spot_checks']['sampled']}; "
        f"rectifications {f['rectifications']['count']}; items missing "
        f"{f['items_missing']['items']} ({f['items_missing']['with_missing']} of "
        f"{f['items_missing']['records']} held days); sent back {f['send_backs']['count']}; "
        f"PDF {len(pdf) // 1024} KiB, "
        f"XLSX {len(xlsx) // 1024} KiB; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    verdict = "met" if total < GOAL_SECONDS else "NOT met"
    print(f"the city's quarterly bulletin: {total:.1f} s; goal < {GOAL_SECONDS} s: {verdict}")
    if args.publish:
        published, _t = timed(
            "publish, with the notice to the city",
            lambda: bulletins.publish_bulletin(actor=actor, bulletin=found),
        )
        published.refresh_from_db()
        print(f"notified {published.notified_members}")


if __name__ == "__main__":
    main()
