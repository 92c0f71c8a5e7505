"""Benchmark: one branch's yearly ledger (台账) at city scale.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/ledger.py [--branch-id N] [--year YYYY] [--runs 3]

The seeded city has 12 simulated months of theme days held, with rosters, check-ins,
photos, summaries and comments. Without --branch-id the branch is the one with the most
roster entries in the year (the largest ledger); without --year, the year in which the
seeded months mostly fall. It writes to the database it is given: before the first run
it opens three rectifications for the branch (one answered with a file when the branch
has its own admin), sets each member's dues and records a payment for every month held,
and marks the six required items of each held activity with evidence, so that the
ledger has every section; use a copy, never the shared one.

Each run makes a new ledger request of the branch's secretary and builds it in this
process (as the Celery worker would), and prints the wall time of the gathering, the PDF
and ZIP, and the whole build, the queries, the records in the index and the ZIP's size.
"""

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import ExtractYear  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from dangjian import permissions  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.orglife import services as orglife  # noqa: E402
from dangjian.orglife.models import DuesRecord  # noqa: E402
from dangjian.registry.models import Member, Organization, Role, RoleGrant  # noqa: E402
from dangjian.supervision import services as supervision  # noqa: E402
from dangjian.supervision.models import Rectification  # noqa: E402
from dangjian.themedays.items import RequiredItem  # noqa: E402
from dangjian.themedays.ledger import contents, render  # noqa: E402
from dangjian.themedays.ledger import services as ledgers  # noqa: E402
from dangjian.themedays.models import (  # noqa: E402
    Activity,
    ActivityStatus,
    Ledger,
    RosterEntry,
)


def pick(year: int | None, branch_id: int | None) -> tuple[Organization, int]:
    if year is None:
        year = (
            Activity.objects.annotate(y=ExtractYear("starts_at"))
            .values("y")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()["y"]
        )
    if branch_id is None:
        branch_id = (
            RosterEntry.objects.filter(activity__starts_at__year=year)
            .values("activity__branch_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()["activity__branch_id"]
        )
    return Organization.objects.get(pk=branch_id), year


def admin_of(org: Organization):
    grant = RoleGrant.objects.filter(org=org, role=Role.ADMIN).select_related("user").first()
    return grant.user if grant else None


def superior_admin(branch: Organization):
    for path in reversed(permissions.superior_paths(branch.path)):
        user = admin_of(Organization.objects.get(path=path))
        if user is not None:
            return user
    return None


def with_rectifications(branch: Organization) -> None:
    """Three rectifications for the branch, one answered with a photo, unless it has some."""
    if Rectification.objects.filter(branch=branch).exists():
        return
    superior, own = superior_admin(branch), admin_of(branch)
    if superior is None:
        print("no admin above the branch to open rectifications with; the ledger has none")
        return
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(png, "PNG")
    for n in range(3):
        rect = supervision.open_rectification(
            actor=superior,
            branch=branch,
            title=f"基准整改事项{n + 1}",
            requirement="补齐签到记录并说明缺勤原因。",
            deadline=clock.today() + timedelta(days=30),
        )
        if n == 0 and own is not None:
            upload = SimpleUploadedFile("说明.png", png.getvalue(), content_type="image/png")
            supervision.answer_rectification(
                actor=own, rectification=rect, text="已整改。", files=[upload]
            )


def with_organization_life(branch: Organization, year: int) -> None:
    """Each member's dues base for the year and a payment for every month up to the last
    held activity's, and the six required items of each held activity marked with their
    evidence, unless the branch has dues records for the year already."""
    if DuesRecord.objects.filter(branch=branch, month__year=year).exists():
        return
    actor = admin_of(branch) or superior_admin(branch)
    held = list(
        contents.year_activities(branch, year).filter(status=ActivityStatus.CLOSED).order_by("pk")
    )
    last = max((timezone.localdate(a.starts_at) for a in held), default=date(year, 1, 1))
    for member in Member.objects.filter(branch=branch, is_active=True):
        orglife.set_dues_base(
            actor=actor, member=member, year=year, category="employed", monthly_income=6000
        )
        for month in range(1, last.month + 1):
            if date(year, month, 1) >= member.join_date.replace(day=1):
                orglife.record_dues(
                    actor=actor, member=member, month=f"{year}-{month:02d}", method="wechat"
                )
    for activity in held:
        photos = list(activity.photos.values_list("pk", flat=True)[:2])
        for item in RequiredItem.values:
            orglife.record_item(
                actor=actor,
                activity=activity,
                item=item,
                is_done=True,
                text="按要求完成，记录附后。",
                matters="村内道路修缮" if item == "deliberation" else "",
                decisions="表决通过" if item == "deliberation" else "",
                photo_ids=photos if item == "disclosure" else (),
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--branch-id", type=int)
    parser.add_argument("--year", type=int)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    branch, year = pick(args.year, args.branch_id)
    with_rectifications(branch)
    with_organization_life(branch, year)
    secretary = admin_of(branch) or superior_admin(branch)
    activities = contents.year_activities(branch, year).count()
    roster = RosterEntry.objects.filter(activity__in=contents.year_activities(branch, year))
    print(
        f"database: {connection.vendor}, branch {branch.pk} {branch.name}, year {year}: "
        f"{activities} activities, {roster.count()} roster entries"
    )
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        found = contents.gather(branch, year)
        gathered = time.perf_counter() - started
        with io.BytesIO() as out:
            render.write_zip(out, found)
        written = time.perf_counter() - started - gathered
        # The request's background half, as the Celery worker runs it.
        ledger = Ledger.objects.create(
            branch=branch, year=year, requested_by=secretary, requested_at=clock.now()
        )
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            ledgers.build_ledger(ledger.pk)
        built = time.perf_counter() - began
        ledger.refresh_from_db()
        print(
            f"run {run}: gather {gathered:.2f} s, PDF+ZIP {written:.2f} s; "
            f"build {built:.2f} s ({len(queries)} queries) status={ledger.status}, "
            f"records={ledger.counts.get('records')}, zip={ledger.size / 1e6:.2f} MB"
        )


if __name__ == "__main__":
    main()
