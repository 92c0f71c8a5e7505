"""Benchmark: many distinct members checking in at once, over HTTP, behind gunicorn.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/checkin.py

It opens theme-day activities for enough branches of the seeded city (approved, check-in
window open now), gives each of their members an API token, starts gunicorn (sync
workers, persistent database connections, DEBUG off) and drives it with wrk: a short
warm-up of check-ins by members kept for it, then `GET /healthz` (one trivial query: the
ceiling of this stack on this machine), then `POST /api/v1/attendance/check-in`, every
request a different member. Then, unless `--no-yardstick`, the goal's yardstick in the
same minutes (bench/bare_insert.py: a bare Django view doing one INSERT, same gunicorn
and wrk settings), and the check-in's rate as a share of it beside the goal's share. It
prints all of them and counts the rows written. Each run makes a new campaign, so it can
be run again.

`--pad-attempts N` first fills the attempt log up to N rows (20 million for the province's
benchmark): about two in five active members' check-in and check-out in each of the twelve
months before this one, written by PostgreSQL itself (`INSERT … SELECT` over the members,
a month per statement, into that month's partition, made first where the log is
partitioned), then `ANALYZE`; the activities those rows name are stand-ins above the real
ids (the log has no foreign keys). Rows already there count, so a second run adds none.
"""

import argparse
import os
import secrets
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
# Approval notices would go to the log channel; measure the check-ins, not the setup.
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

import bare_insert  # noqa: E402
from _serve import show, start_gunicorn, warm_up, wrk  # noqa: E402
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.registry.models import (  # noqa: E402
    ApiToken,
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
)
from dangjian.themedays import selectors as themedays_selectors  # noqa: E402
from dangjian.themedays import services as themedays  # noqa: E402
from dangjian.themedays.models import Activity  # noqa: E402

VENUE = (33.0676, 107.0238)  # 汉中市 city centre

LUA = r"""
local items = {}
local counter, step = 0, 1
local nthreads = 0

setup = function(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

init = function(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t")
    items[#items + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)}
  end
  counter = tid
  step = tonumber(args[2])
end

request = function()
  local item = items[(counter % #items) + 1]
  counter = counter + step
  return wrk.format("POST", "/api/v1/attendance/check-in", {
    ["Authorization"] = "Bearer " .. item[1],
    ["Content-Type"] = "application/json",
  }, item[2])
end
"""


def prepare(members_wanted: int) -> tuple[list[tuple[str, str]], list[int]]:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    today = clock.now().date()
    campaign = themedays.create_campaign(
        actor=admin,
        org=root,
        month=today.strftime("%Y-%m"),
        theme=f"签到基准测试 {time.strftime('%H:%M:%S')}",
        holding_from=today,
        holding_until=today + timedelta(days=1),
    )
    # The branches with the most members first, until there are enough members.
    branches = list(
        Organization.objects.filter(kind=OrgKind.BRANCH)
        .annotate(n=Count("members"))
        .order_by("-n", "pk")[:5000]
    )
    chosen, total = [], 0
    for branch in branches:
        chosen.append(branch)
        total += branch.n
        if total >= members_wanted:
            break
    starts = clock.now() + timedelta(minutes=20)
    activity_ids = []
    started = time.perf_counter()
    for branch in chosen:
        required = themedays_selectors.required_items_for(campaign, branch)
        activity = themedays.draft_activity(
            actor=admin,
            branch=branch,
            campaign=campaign,
            title=campaign.theme,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            venue_address="汉中市汉台区",
            latitude=VENUE[0],
            longitude=VENUE[1],
            agenda=required,
        )
        themedays.submit_activity(actor=admin, activity=activity)
        themedays.approve_activity(actor=admin, activity=activity)
        activity_ids.append(activity.pk)
    print(f"opened {len(chosen)} activities in {time.perf_counter() - started:.0f} s")

    activities = dict(
        Activity.objects.filter(pk__in=activity_ids).values_list("branch_id", "checkin_token")
    )
    members = list(
        Member.objects.filter(branch_id__in=activities, is_active=True).values_list(
            "user_id", "branch_id"
        )
    )
    expires = clock.now() + timedelta(hours=2)
    keys, tokens = [], []
    for user_id, _branch_id in members:
        key = secrets.token_urlsafe(32)
        keys.append(key)
        tokens.append(
            ApiToken(user_id=user_id, key_hash=ApiToken.hash_key(key), expires_at=expires)
        )
    ApiToken.objects.bulk_create(tokens, batch_size=2000)
    analyze(ApiToken, Activity, AttendanceRecord, CheckInAttempt)
    lines = []
    for key, (_user_id, branch_id) in zip(keys, members, strict=True):
        body = (
            f'{{"token":"{activities[branch_id]}","latitude":{VENUE[0]},'
            f'"longitude":{VENUE[1]},"accuracy_m":20}}'
        )
        lines.append((key, body))
    return lines, activity_ids


def analyze(*models) -> None:
    """What autovacuum does in production after this many new rows (tokens, activities, check-ins
    of earlier runs): without statistics the planner guesses from empty tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in models))


PAD_SQL = """
INSERT INTO attendance_checkinattempt (activity_id, user_id, member_id, kind, code, latitude,
    longitude, accuracy_m, distance_m, at, ip, user_agent, device_id, client)
SELECT 1000000000 + m.branch_id * 16 + %(k)s, m.user_id, m.id,
    CASE WHEN s.n = 0 THEN 'check_in' ELSE 'check_out' END, 'accepted',
    33.0676 + random() / 100, 107.0238 + random() / 100, 8 + random() * 32,
    (random() * 150)::int,
    %(month)s::timestamptz + (m.branch_id %% 27) * interval '1 day' + interval '1 hour'
        + s.n * interval '2 hours' + random() * interval '10 minutes',
    ('117.36.' || (m.id %% 250) || '.' || (m.user_id %% 250))::inet,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) MicroMessenger/8.0.47',
    md5(m.id::text), '{}'::jsonb
FROM registry_member m CROSS JOIN generate_series(0, 1) AS s(n)
WHERE m.is_active AND (m.id + %(k)s) %% 5 < 2
LIMIT %(limit)s
"""


def pad_attempts(target: int) -> None:
    """Fill the attempt log up to `target` rows, spread over the twelve months before this
    one (see the module's docstring)."""
    from dangjian.core import partitions

    table = CheckInAttempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        have = cursor.fetchone()[0]
    if have >= target:
        print(f"attempt log: {have:,} rows, no padding needed")
        return
    this_month = clock.today().replace(day=1)
    months = []
    for back in range(12, 0, -1):
        year, month = divmod(this_month.year * 12 + this_month.month - 1 - back, 12)
        months.append(this_month.replace(year=year, month=month + 1))
    started = time.perf_counter()
    # The past months' partitions, made as the scheduler makes the coming ones.
    partitions.ensure(table, months_ahead=12, today=months[0])
    missing = target - have
    for k, month in enumerate(months):
        limit = missing // (len(months) - k)
        with connection.cursor() as cursor:
            cursor.execute(PAD_SQL, {"k": k, "month": month.isoformat(), "limit": limit})
            missing -= cursor.rowcount
    analyze(CheckInAttempt)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        rows = cursor.fetchone()[0]
        # A partitioned table has no storage of its own: its partitions' sizes, summed.
        cursor.execute(
            "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(%s)", [table]
        )
        size = cursor.fetchone()[0]
    elapsed = time.perf_counter() - started
    print(
        f"attempt log padded from {have:,} to {rows:,} rows in {elapsed:.0f} s"
        f" ({size / 2**30:.1f} GiB with its indexes)"
    )


# The goal (docs/performance.md, "Checking in"): at least this share of the bare one-INSERT
# view's rate in the same run, p99 under 100 ms, no errors.
GOAL_SHARE, GOAL_P99_MS = 0.40, 100
WARM_UP_MEMBERS = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=30000, help="distinct members to open")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/9",
        help="REDIS_URL for the server, as in production (emptied after the run); '' for none",
    )
    parser.add_argument(
        "--no-yardstick",
        action="store_true",
        help="skip the bare one-INSERT Django view (bench/bare_insert.py) measured after it",
    )
    parser.add_argument(
        "--pad-attempts",
        type=int,
        default=0,
        help="first fill the attempt log up to this many rows over the past twelve months",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")
    if args.pad_attempts:
        pad_attempts(args.pad_attempts)

    lines, activity_ids = prepare(args.members + WARM_UP_MEMBERS)
    # The first members warm the workers' check-in path (prepared statements, first
    # connections); the others are measured, each once.
    warming, lines = lines[:WARM_UP_MEMBERS], lines[WARM_UP_MEMBERS:]
    print(f"{len(lines)} members hold a token (and {len(warming)} more to warm up with)")
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    (workdir / "checkin.lua").write_text(LUA)
    for name, chunk in (("warm-up.tsv", warming), ("requests.tsv", lines)):
        with open(workdir / name, "w") as out:
            for key, body in chunk:
                out.write(f"{key}\t{body}\n")

    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        # As in production: the cache and Celery's broker are Redis, so the score's
        # recompute after a check-in is queued (debounced), not run in the request.
        "REDIS_URL": args.redis,
    }
    server = start_gunicorn("dangjian.wsgi:application", args, cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{args.port}"
        warm_up(f"{base}/healthz", args.connections)
        common = ["-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
        checkins = ["-s", str(workdir / "checkin.lua"), f"{base}/", "--"]
        wrk(
            [
                "-t2",
                f"-c{args.connections}",
                "-d2s",
                "--latency",
                *checkins,
                str(workdir / "warm-up.tsv"),
                "2",
            ]
        )
        health = wrk([*common, f"{base}/healthz"])
        checkin = wrk([*common, *checkins, str(workdir / "requests.tsv"), "2"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if args.redis:
            # No worker ran: drop the queued recomputes and the cache marks of this run.
            import redis

            redis.Redis.from_url(args.redis).flushdb()
    recorded = AttendanceRecord.objects.filter(
        activity_id__in=activity_ids, checked_in_at__isnull=False
    ).count()
    connection.close()
    if not args.no_yardstick:
        args.port += 1
        _selected, inserted = bare_insert.measure(args, os.environ.get("DATABASE_URL", ""))

    print(
        f"\ngunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} "
        f"connections, {args.duration} s each, {connection.vendor}"
    )
    show("/healthz", health)
    show("check-in", checkin)
    print(f"check-ins recorded: {recorded} (warm-up and measured; members: {len(lines)})")
    if checkin["requests"] > len(lines):
        print("note: more requests than members; the extra ones were repeats (answered 200)")
    if not args.no_yardstick:
        show("bare INSERT", inserted)
        share = checkin["rps"] / inserted["rps"]
        errors = checkin["non2xx"] + checkin["socket_errors"]
        met = share >= GOAL_SHARE and checkin["p99"] < GOAL_P99_MS and errors == 0
        print(
            f"check-in / bare INSERT: {share:.0%} (goal ≥ {GOAL_SHARE:.0%}, p99 < "
            f"{GOAL_P99_MS} ms, 0 errors: {'met' if met else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
