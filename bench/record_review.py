"""Benchmark: record review's queue and the send-backs the reports read.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/record_review.py [--runs 3]

It writes to the database it is given (use a copy, never the shared one): once, it sends
back 5 % of the closed theme days (drawn with a fixed seed), half of them resubmitted, as
rows in bulk rather than through the services. Each run then times the queue of a city
admin and of a county admin (the latest month's page of 50 with its count and missing
items, as the console reads it), the menu's count, and `send_backs` and
`unanswered_send_backs` for every branch of the city, with their queries.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dangjian.core import clock  # noqa: E402
from dangjian.registry.models import Organization, OrgKind, Role, RoleGrant  # noqa: E402
from dangjian.supervision import review_selectors  # noqa: E402
from dangjian.supervision.models import RecordReview, RecordReviewEvent  # noqa: E402
from dangjian.themedays.models import Activity, ActivityStatus  # noqa: E402

SEED = 7


def timed(label, fn):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed * 1000:.0f} ms, {len(queries)} queries")
    return result


def send_back_some(root: Organization) -> None:
    if RecordReview.objects.exists():
        return
    closed = list(
        Activity.objects.filter(status=ActivityStatus.CLOSED).values_list(
            "pk", "branch_id", "closed_at"
        )
    )
    picked = random.Random(SEED).sample(closed, len(closed) // 20)
    now = clock.now()
    reviews = []
    for i, (pk, branch_id, closed_at) in enumerate(picked):
        sent = closed_at + timedelta(days=3)
        resubmitted = sent + timedelta(days=2) if i % 2 == 0 else None
        reviews.append(
            RecordReview(
                activity_id=pk,
                branch_id=branch_id,
                status="resubmitted" if resubmitted else "sent_back",
                reason="缺少现场照片",
                deadline=(sent + timedelta(days=7)).date(),
                send_back_count=1,
                reviewer_org=root,
                reviewed_at=sent,
                resubmitted_at=resubmitted,
                updated_at=now,
            )
        )
    RecordReview.objects.bulk_create(reviews, batch_size=5000)
    events = []
    for review in RecordReview.objects.all().iterator():
        events.append(
            RecordReviewEvent(
                review=review,
                action="send_back",
                text=review.reason,
                deadline=review.deadline,
                at=review.reviewed_at,
            )
        )
        if review.resubmitted_at:
            events.append(
                RecordReviewEvent(review=review, action="resubmit", at=review.resubmitted_at)
            )
    RecordReviewEvent.objects.bulk_create(events, batch_size=5000)


def queue_page(user):
    period = review_selectors.latest_period(user)
    queue = review_selectors.review_queue(user, None, "todo", period)
    page = review_selectors.with_missing_items(list(queue[:50]))
    return period.label, len(page), queue.count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Organization.objects.get(depth=1)
    county = Organization.objects.filter(depth=2).order_by("path").first()
    city_admin = RoleGrant.objects.filter(role=Role.ADMIN, org=root).first().user
    county_admin = RoleGrant.objects.filter(role=Role.ADMIN, org=county).first().user
    send_back_some(root)
    branch_ids = list(Organization.objects.filter(kind=OrgKind.BRANCH).values_list("pk", flat=True))
    print(
        f"{Activity.objects.filter(status=ActivityStatus.CLOSED).count()} closed theme days, "
        f"{len(branch_ids)} branches, {RecordReview.objects.count()} reviews, "
        f"{RecordReviewEvent.objects.count()} steps"
    )
    year = clock.today().replace(month=1, day=1)
    for run in range(1, args.runs + 1):
        print(f"run {run}")
        print("  city queue", timed("  city queue", lambda: queue_page(city_admin)))
        print("  county queue", timed("  county queue", lambda: queue_page(county_admin)))
        timed("  menu count (to 100)", lambda: review_selectors.queue_count(city_admin, 100))
        rows = timed(
            "  send_backs, city, this year",
            lambda: review_selectors.send_backs(branch_ids, year, clock.today() + timedelta(1)),
        )
        print(f"    {len(rows)} send-backs")
        rows = timed(
            "  unanswered_send_backs, city, now",
            lambda: review_selectors.unanswered_send_backs(branch_ids, clock.now()),
        )
        print(f"    {len(rows)} unanswered")


if __name__ == "__main__":
    main()
