"""Benchmark: many distinct members checking in at once, over HTTP, behind gunicorn.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/checkin.py

It opens theme-day activities for enough branches of the seeded city (approved, check-in
window open now), gives each of their members an API token, starts gunicorn (sync
workers, persistent database connections, DEBUG off) and drives it with wrk: first
`GET /healthz` (one trivial query: the ceiling of this stack on this machine), then
`POST /api/v1/attendance/check-in`, every request a different member. It prints both and
counts the rows written. Each run makes a new campaign, so it can be run again.
"""

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
# Approval notices would go to the log channel; measure the check-ins, not the setup.
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from dangjian.attendance.models import AttendanceRecord  # noqa: E402
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
    lines = []
    for key, (_user_id, branch_id) in zip(keys, members, strict=True):
        body = (
            f'{{"token":"{activities[branch_id]}","latitude":{VENUE[0]},'
            f'"longitude":{VENUE[1]},"accuracy_m":20}}'
        )
        lines.append((key, body))
    return lines, activity_ids


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on {url}")


def start_gunicorn(app: str, args, *, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """gunicorn as the benchmarks run it: sync workers, a deep backlog, its own session
    (stopped with os.killpg)."""
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )


def warm_up(url: str, connections: int) -> None:
    """Wait for the server, then warm every worker's connection and caches before measuring."""
    wait_for(url)
    subprocess.run(["wrk", "-t2", f"-c{connections}", "-d3s", url], capture_output=True, check=True)


def wrk(args: list[str]) -> dict:
    out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    figures = {"raw": out}
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for pct in ("50", "90", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        figures[f"p{pct}"] = (
            value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
        )
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return figures


def show(label: str, f: dict) -> None:
    print(
        f"{label:10} {f['rps']:8.0f} req/s  p50 {f['p50']:6.1f} ms  p90 {f['p90']:6.1f} ms  "
        f"p99 {f['p99']:6.1f} ms  requests {f['requests']}  "
        f"errors {f['non2xx'] + f['socket_errors']}"
    )


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
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")

    lines, activity_ids = prepare(args.members)
    print(f"{len(lines)} members hold a token")
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    (workdir / "checkin.lua").write_text(LUA)
    with open(workdir / "requests.tsv", "w") as out:
        for key, body in lines:
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
        health = wrk([*common, f"{base}/healthz"])
        checkin = wrk(
            [
                *common,
                "-s",
                str(workdir / "checkin.lua"),
                f"{base}/",
                "--",
                str(workdir / "requests.tsv"),
                "2",
            ]
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if args.redis:
            # No worker ran: drop the queued recomputes and the cache marks of this run.
            import redis

            redis.Redis.from_url(args.redis).flushdb()

    print(
        f"\ngunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} "
        f"connections, {args.duration} s each, {connection.vendor}"
    )
    show("/healthz", health)
    show("check-in", checkin)
    recorded = AttendanceRecord.objects.filter(
        activity_id__in=activity_ids, checked_in_at__isnull=False
    ).count()
    print(f"check-ins recorded: {recorded} (distinct members available: {len(lines)})")
    if checkin["requests"] > len(lines):
        print("note: more requests than members; the extra ones were repeats (answered 200)")


if __name__ == "__main__":
    main()
