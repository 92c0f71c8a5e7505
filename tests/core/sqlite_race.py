"""Run as a script by test_sqlite_url.py: a fresh SQLite file given as DATABASE_URL, a
branch of members, and all of them checking in at the same instant from threads, each
with its own connection as gunicorn's workers would have. Prints what happened as JSON."""

import json
import os
import sys
import threading
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ["NOTIFICATION_CHANNELS"] = ""

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from dangjian.attendance import checkin  # noqa: E402
from dangjian.attendance.models import AttendanceRecord  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.registry import services as registry  # noqa: E402
from dangjian.themedays import services as themedays  # noqa: E402
from tests.factories import PASSWORD, make_member, make_org  # noqa: E402

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
VENUE = (33.0678, 107.0234)

call_command("migrate", verbosity=0)
grant = registry.bootstrap_city(name="汉中市", phone="13900000001", password=PASSWORD)
admin, root = grant.user, grant.org
branch = make_org(admin, root, "某村党支部", code="B-1")
members = [make_member(admin, branch, password=None) for _ in range(THREADS)]
today = clock.now().date()
campaign = themedays.create_campaign(
    actor=admin,
    org=root,
    month=today.strftime("%Y-%m"),
    theme="并发签到",
    holding_from=date(today.year, today.month, 1),
    holding_until=today + timedelta(days=1),
)
starts = clock.now() + timedelta(minutes=10)
activity = themedays.draft_activity(
    actor=admin,
    branch=branch,
    campaign=campaign,
    title="并发签到",
    starts_at=starts,
    ends_at=starts + timedelta(hours=1),
    venue_address="村党员活动室",
    latitude=VENUE[0],
    longitude=VENUE[1],
    agenda=list(themedays.selectors.required_items_for(campaign, branch)),
)
themedays.submit_activity(actor=admin, activity=activity)
themedays.approve_activity(actor=admin, activity=activity)
activity.refresh_from_db()
connections.close_all()

barrier = threading.Barrier(THREADS)
errors = []


def check_in(member):
    try:
        barrier.wait()
        checkin.check_in(
            actor=member.user,
            token=activity.checkin_token,
            latitude=VENUE[0],
            longitude=VENUE[1],
            accuracy_m=10,
        )
    except Exception as exc:  # noqa: BLE001 - reported to the test
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connections.close_all()


threads = [threading.Thread(target=check_in, args=(m,)) for m in members]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
print(
    json.dumps(
        {
            "options": connections["default"].settings_dict["OPTIONS"],
            "errors": errors,
            "records": AttendanceRecord.objects.filter(activity=activity).count(),
        }
    )
)
