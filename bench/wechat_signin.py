"""Benchmark: members bound to WeChat signing in inside WeChat, over HTTP, behind gunicorn.

    make keys   # DEBUG off needs them (var/secrets.env); before seeding
    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/wechat_signin.py

A sign-in inside WeChat is WeChat's answer coming back: `GET /m/wechat/callback/?code=…&
state=…` from a visitor whose signed `wechat_state` cookie holds the `state` it was sent
away with (`mobile.wechat.signin`); a visitor not signed in has no session yet. The server
exchanges the code for the openid at WeChat (`registry.wechat.openid_for_code`, WeChat's
documented request on a kept-alive HTTP session), finds the account bound to it and signs
it in (a new session), answering a redirect to the page asked for. No password hash.

It takes members of the seeded city that have no WeChat binding yet, binds each to an
openid of its own, and makes for each the signed cookie holding a `state`, as the first
leg would have (`HttpResponse.set_signed_cookie` with the view's salt). WeChat is a local stand-in
(bench/_wechat_standin.py, one asyncio process) that answers the code exchange as WeChat
documents it. gunicorn runs as in production (sync workers, persistent database
connections, DEBUG off, Redis as the cache) and wrk sends every request for a different
member: a warm-up with members kept for it, then the measured run. It prints the rate,
p50/p99, the errors, how many sessions were signed in (each request must have made one),
and the CPU time a sign-in took in gunicorn's workers and their PostgreSQL backends (apart
from the stand-in's, which is WeChat's work), from which the rate on cores of its own.
Each run binds members it has not used yet, so it can be run again.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import reverse  # noqa: E402

from _serve import cpu_seconds, server_pids, show, start_gunicorn, wait_for, wrk  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.mobile import wechat as wechat_views  # noqa: E402
from dangjian.registry.models import Member, User, WechatBinding  # noqa: E402

APP_ID = "wxbench0000000001"
SECRET = "bench-app-secret"
GOAL_RPS = 500
GOAL_P99_MS = 100
WARM_UP = 2000

LUA = r"""
local lines = {}
local counter, step = 0, 1
local nthreads = 0
local path = "/"

setup = function(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

init = function(args)
  path = args[1]
  for line in io.lines(args[2]) do
    local cookie, state, code = line:match("(%S+) (%S+) (%S+)")
    lines[#lines + 1] = {cookie, state, code}
  end
  counter = tid
  step = tonumber(args[3])
end

request = function()
  local l = lines[(counter % #lines) + 1]
  counter = counter + step
  return wrk.format("GET", path .. "?code=" .. l[3] .. "&state=" .. l[2], {
    ["Cookie"] = "wechat_state=" .. l[1],
    ["User-Agent"] = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50",
  })
end
"""


def prepare(count: int) -> tuple[list[str], list[int]]:
    """Bind `count` members to openids of their own and make the signed `state` cookie for
    each; answers wrk's lines ("cookie state code") and the accounts' ids."""
    started = time.perf_counter()
    user_ids = list(
        Member.objects.filter(is_active=True, user__is_active=True, user__wechat_binding=None)
        .order_by("pk")
        .values_list("user_id", flat=True)[:count]
    )
    if len(user_ids) < count:
        sys.exit(f"only {len(user_ids)} members left to bind: seed a new database")
    now, run = clock.now(), secrets.token_hex(4)
    openids = {user_id: f"o-bench-{run}-{user_id}" for user_id in user_ids}
    WechatBinding.objects.bulk_create(
        [WechatBinding(user_id=u, openid=o, bound_at=now) for u, o in openids.items()],
        batch_size=2000,
    )
    lines = []
    for openid in openids.values():
        state, response = secrets.token_urlsafe(16), HttpResponse()
        response.set_signed_cookie(
            wechat_views.STATE_COOKIE,
            state,
            salt=wechat_views.STATE_SALT,
            max_age=wechat_views.STATE_MAX_AGE,
        )
        cookie = response.cookies[wechat_views.STATE_COOKIE].value
        lines.append(f"{cookie} {state} code-{openid}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = (WechatBinding, Session, User)
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
    took = time.perf_counter() - started
    print(f"prepared {len(lines)} bound members and state cookies in {took:.0f} s")
    return lines, user_ids


def signed_in(user_ids: list[int], since) -> int:
    """Sessions written since `since` that hold one of these accounts."""
    wanted, count = {str(u) for u in user_ids}, 0
    store = SessionStore()
    for data in Session.objects.filter(expire_date__gt=since).values_list(
        "session_data", flat=True
    ):
        if store.decode(data).get("_auth_user_id") in wanted:
            count += 1
    return count


def wait_for_port(port: int) -> None:
    """Until the stand-in listens: on a loaded machine it may start after gunicorn, and the
    first sign-ins would find WeChat refusing the connection (502)."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the WeChat stand-in did not listen on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=30000, help="members for the measured run")
    parser.add_argument("--duration", type=int, default=15, help="seconds of the measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--standin-port", type=int, default=8098)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")

    load_before = os.getloadavg()[0]
    lines, user_ids = prepare(args.members + WARM_UP)
    # Sessions made by the sign-ins expire a fortnight on (SESSION_COOKIE_AGE).
    since = clock.now() + timedelta(days=2)
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    (workdir / "signin.lua").write_text(LUA)
    (workdir / "warm.txt").write_text("".join(f"{line}\n" for line in lines[:WARM_UP]))
    (workdir / "signin.txt").write_text("".join(f"{line}\n" for line in lines[WARM_UP:]))

    standin = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "_wechat_standin.py"),
            str(args.standin_port),
            APP_ID,
            SECRET,
        ],
        start_new_session=True,
    )
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": SECRET,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{args.standin_port}",
    }
    database = connection.settings_dict["NAME"]
    server = start_gunicorn("dangjian.wsgi:application", args, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    path = reverse("mobile:wechat_callback")
    script = ["-s", str(workdir / "signin.lua"), f"{base}/", "--", path]

    def run(name: str, seconds: int) -> dict:
        pids = server_pids(server.pid, database)
        before = {pid: cpu_seconds(pid) for pid in pids}
        standin_before = cpu_seconds(standin.pid)
        figures = wrk(
            ["-t2", f"-c{args.connections}", f"-d{seconds}s", "--latency", *script]
            + [str(workdir / name), "2"]
        )
        pids |= server_pids(server.pid, database)
        workers = {
            int(p)
            for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        }
        used = {pid: cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids}
        count = max(figures["requests"], 1)
        figures["cpu_ms"] = sum(used.values()) * 1000 / count
        figures["workers_ms"] = sum(v for pid, v in used.items() if pid in workers) * 1000 / count
        figures["standin_ms"] = (
            (cpu_seconds(standin.pid) - standin_before) * 1000 / max(figures["requests"], 1)
        )
        return figures

    try:
        wait_for_port(args.standin_port)
        wait_for(f"{base}/healthz")
        run("warm.txt", 3)
        figures = run("signin.txt", args.duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        os.killpg(standin.pid, signal.SIGTERM)
        server.wait(timeout=30)
        standin.wait(timeout=10)

    made = signed_in(user_ids, since)
    connection.close()
    cores = os.cpu_count() or 1
    print(
        f"\ngunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} "
        f"connections, {args.duration} s, {connection.vendor}, {cores} cores; load average "
        f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} now"
    )
    show("sign-in", figures)
    print(
        f"sessions signed in: {made} (warm-up and measured run: "
        f"{figures['requests']} measured requests)"
    )
    if figures["requests"] > args.members:
        print("note: more requests than members (some signed in twice); raise --members")
    errors = figures["non2xx"] + figures["socket_errors"]
    own = cores * 1000 / figures["cpu_ms"]
    ok = figures["rps"] >= GOAL_RPS and figures["p99"] < GOAL_P99_MS and not errors
    print(
        f"sign-in: {figures['rps']:.0f}/s measured, {own:.0f}/s on {cores} cores of its own "
        f"({figures['cpu_ms']:.2f} ms of CPU a sign-in in gunicorn's workers and their "
        f"PostgreSQL backends, {figures['workers_ms']:.2f} ms of it in the workers; the WeChat "
        f"stand-in another {figures['standin_ms']:.2f} ms); "
        f"goal ≥ {GOAL_RPS}/s, p99 < {GOAL_P99_MS} ms, 0 errors: "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
