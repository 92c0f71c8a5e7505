"""Benchmark: password logins and activations by SMS code, over HTTP, behind gunicorn.

    make keys   # DEBUG off needs them (var/secrets.env); before seeding
    createdb -h 127.0.0.1 -U postgres dangjian_bench_auth
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench_auth
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/auth.py

Both are dominated by the password hash (Argon2id, PASSWORD_HASHERS): a login verifies
one, an activation makes one. It takes members of the seeded city and, in the database:
gives the login members one known password (hashed once with the production hasher and
written to all of them: each login still verifies a full hash), and makes the activation
members not activated (unusable password) with a valid, unused activation code each, as
`registry.activation.send_code` records it. Then it starts gunicorn (sync workers,
persistent database connections, DEBUG off) and drives it with wrk, every request a
different member: a short warm-up of each endpoint with members kept for it, then
`POST /api/v1/auth/token`, then `POST /api/v1/auth/activate`. It prints the rate, p50/p99
and errors of each, counts the members activated (now holding an Argon2id hash) and says
whether the goal is met. The machine is shared, so it also measures the CPU time each run
took in gunicorn's workers and in the PostgreSQL backends serving them, and from it the
rate on the cores with nothing else running, beside the CPU time of one bare hash (the
yardstick: no request can be cheaper). Each run takes members it has not used yet, so it
can be run again.

Login throttling (django-axes, core.lockout) counts failed logins per phone, per address
and across phones per address: every request here comes from 127.0.0.1 but none fails,
so no limit is reached and none is changed for the run.
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402

from _serve import cpu_seconds, server_pids, show, start_gunicorn, warm_up, wrk  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.notifications.models import SmsCode, SmsCodePurpose  # noqa: E402
from dangjian.registry import activation, crypto  # noqa: E402
from dangjian.registry.models import ApiToken, Member, User  # noqa: E402

PASSWORD = "Qingshan-river-77"
ARGON2ID = "argon2$argon2id$"

LUA = r"""
local bodies = {}
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
    bodies[#bodies + 1] = line
  end
  counter = tid
  step = tonumber(args[3])
end

request = function()
  local body = bodies[(counter % #bodies) + 1]
  counter = counter + step
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
"""


def pick_members(count: int) -> list[tuple[int, str, str]]:
    """(user id, phone, ID number) of members on the books whose account is open, taking
    first those this bench has not activated yet (an activated member's hash is Argon2id)."""
    rows = list(
        Member.objects.filter(is_active=True, user__is_active=True)
        .exclude(user__password__startswith=ARGON2ID)
        .order_by("pk")
        .values_list("user_id", "user__phone", "id_number_encrypted")[:count]
    )
    if len(rows) < count:
        sys.exit(f"only {len(rows)} members left to use: seed a new database")
    return [(user_id, phone, crypto.decrypt(enc)) for user_id, phone, enc in rows]


def prepare(logins: int, activations: int) -> tuple[list[str], list[str], list[int]]:
    members = pick_members(logins + activations)
    login_members, activation_members = members[:logins], members[logins:]
    started = time.perf_counter()

    # Logins: one hash with the production hasher for all of them.
    User.objects.filter(pk__in=[m[0] for m in login_members]).update(
        password=make_password(PASSWORD)
    )
    login_bodies = [f'{{"phone":"{m[1]}","password":"{PASSWORD}"}}' for m in login_members]

    # Activations: not activated, each with a fresh code for `activate`.
    activation_ids = [m[0] for m in activation_members]
    User.objects.filter(pk__in=activation_ids).update(password=make_password(None))
    now = clock.now()
    codes, bodies = [], []
    for index, (user_id, phone, id_number) in enumerate(activation_members):
        code = f"{index % 10**6:06d}"
        codes.append(
            SmsCode(
                phone=phone,
                purpose=SmsCodePurpose.ACTIVATE,
                user_id=user_id,
                # The keyed hash send_code stores (the code itself only goes out by SMS).
                code_hash=activation._hash(phone, SmsCodePurpose.ACTIVATE, code),
                client_ip="127.0.0.1",
                created_at=now,
                expires_at=now + activation.CODE_LIFETIME,
            )
        )
        bodies.append(
            f'{{"phone":"{phone}","code":"{code}","id_last6":"{id_number[-6:]}",'
            f'"password":"{PASSWORD}"}}'
        )
    SmsCode.objects.bulk_create(codes, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = (SmsCode, ApiToken, User)
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
    print(
        f"prepared {len(login_bodies)} logins and {len(bodies)} activations "
        f"in {time.perf_counter() - started:.0f} s (codes valid "
        f"{activation.CODE_LIFETIME.total_seconds() / 60:.0f} min)"
    )
    return login_bodies, bodies, activation_ids


# The goal (docs/performance.md, "Signing in and activating"), for each endpoint.
GOAL_RPS = 30
WARM_UP = 300


def hash_cost_ms(rounds: int = 20) -> float:
    """CPU time of one hash with the production hasher, in this process: the yardstick,
    since a login or an activation cannot be faster than one hash on one core."""
    make_password(PASSWORD)
    started = time.process_time()
    for _ in range(rounds):
        make_password(PASSWORD)
    return (time.process_time() - started) / rounds * 1000


def met(figures: dict) -> bool:
    return figures["rps"] >= GOAL_RPS and figures["non2xx"] + figures["socket_errors"] == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3000, help="members per endpoint")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")

    load_before = os.getloadavg()[0]
    per_endpoint = args.members + WARM_UP
    logins, activations, activation_ids = prepare(per_endpoint, per_endpoint)
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    (workdir / "auth.lua").write_text(LUA)
    files = {
        "login-warm.txt": logins[:WARM_UP],
        "login.txt": logins[WARM_UP:],
        "activate-warm.txt": activations[:WARM_UP],
        "activate.txt": activations[WARM_UP:],
    }
    for name, lines in files.items():
        (workdir / name).write_text("".join(line + "\n" for line in lines))

    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    database = connection.settings_dict["NAME"]
    server = start_gunicorn("dangjian.wsgi:application", args, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    script = ["-s", str(workdir / "auth.lua"), f"{base}/", "--"]

    def run(path: str, name: str, seconds: int) -> dict:
        pids = server_pids(server.pid, database)
        before = {pid: cpu_seconds(pid) for pid in pids}
        figures = wrk(
            [
                "-t2",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--latency",
                *script,
                path,
                str(workdir / name),
                "2",
            ]
        )
        pids |= server_pids(server.pid, database)
        used = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids)
        figures["cpu_ms"] = used * 1000 / max(figures["requests"], 1)
        return figures

    try:
        warm_up(f"{base}/healthz", args.connections)
        run("/api/v1/auth/token", "login-warm.txt", 2)
        run("/api/v1/auth/activate", "activate-warm.txt", 2)
        login = run("/api/v1/auth/token", "login.txt", args.duration)
        activate = run("/api/v1/auth/activate", "activate.txt", args.duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    hash_ms = hash_cost_ms()
    activated = User.objects.filter(pk__in=activation_ids, password__startswith=ARGON2ID).count()
    used = SmsCode.objects.filter(user_id__in=activation_ids, used_at__isnull=False).count()
    connection.close()

    print(
        f"\ngunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} "
        f"connections, {args.duration} s each, {connection.vendor}, "
        f"{os.cpu_count()} cores"
    )
    ceiling = (os.cpu_count() or 1) * 1000 / hash_ms
    print(
        f"one Argon2id hash: {hash_ms:.1f} ms of CPU (hashes alone on every core: "
        f"{ceiling:.0f}/s); load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} now (other processes share the cores)"
    )
    show("login", login)
    show("activate", activate)
    print(f"activated: {activated} members hold an Argon2id hash, {used} codes used (with warm-up)")
    cores = os.cpu_count() or 1
    for label, figures, members in (
        ("login", login, len(files["login.txt"])),
        ("activate", activate, len(files["activate.txt"])),
    ):
        if figures["requests"] > members:
            print(f"note: {label} made more requests than members; raise --members")
        own = cores * 1000 / figures["cpu_ms"]
        errors = figures["non2xx"] + figures["socket_errors"]
        print(
            f"{label}: {figures['rps']:.0f}/s measured, {own:.0f}/s on {cores} cores of its "
            f"own ({figures['cpu_ms']:.0f} ms of CPU a request in gunicorn's workers and their "
            f"PostgreSQL backends); goal ≥ {GOAL_RPS}/s, 0 errors: "
            f"{'met' if met(figures) else 'NOT met'} as measured, "
            f"{'met' if own >= GOAL_RPS and not errors else 'NOT met'} on cores of its own"
        )


if __name__ == "__main__":
    main()
