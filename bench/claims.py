"""Benchmark: members racing to claim volunteer orders (issue 20), over HTTP, behind gunicorn.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/claims.py

A community of the first county publishes `--orders` orders (default 100) that each need
`--capacity` volunteers (3), reaching the whole county (as after an escalation); `--members`
members of the county (1,000) race for them: each asks to claim `--tries` (10) different
orders picked at random, all at once, over `--connections` connections (16), for
`--duration` seconds (15; the races outlast it, so that wrk's rate is the rate served,
wrk running for its whole duration whether or not there is anything left to send). Every
order fills up within its first claims; the rest are refused, 409 `order_full` (or
`already_claimed`, never here: no member tries an order twice). Goal: exactly orders ×
capacity claims, p99 under 200 ms and no server error (no 5xx, no socket error).

The orders, the citizen who made them and the members' API tokens are written in the
preparation, in bulk (publishing them through the service would tell every member of the
county a hundred times); each run makes new ones, so it can be run again on the same
database. Then, unless `--no-yardstick`, the bare one-INSERT Django view (bench/bare_insert.py)
in the same minutes.
"""

import argparse
import os
import random
import secrets
import signal
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402

import bare_insert  # noqa: E402
from _serve import LINES_LUA, show, start_gunicorn, statuses, warm_up, write_lines, wrk  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.registry.models import ApiToken, Member, Organization, User  # noqa: E402
from dangjian.volunteering import rules  # noqa: E402
from dangjian.volunteering.models import (  # noqa: E402
    Citizen,
    Claim,
    Order,
    OrderState,
    ServiceCategory,
)

GOAL_P99_MS = 200
WARM_UP_ORDERS, WARM_UP_MEMBERS = 20, 200


def community_of(county: Organization) -> Organization:
    found = Organization.objects.filter(rules.community_q(), path__startswith=county.path)
    for org in found.order_by("path")[:1]:
        return org
    sys.exit("no community in the first county: seed the city first")


def make_orders(county: Organization, count: int, capacity: int) -> list[int]:
    community = community_of(county)
    now = clock.now()
    stamp = secrets.token_hex(3)
    phone = "199" + str(random.randrange(10**7, 10**8))
    user = User.objects.create_user(phone=phone, name=f"基准群众{stamp}")
    citizen = Citizen.objects.create(
        user=user, community=community, address="基准小区1号", created_at=now, updated_at=now
    )
    category = ServiceCategory.objects.create(
        org=county, name=f"基准服务{stamp}", skills=[], created_at=now, updated_at=now
    )
    orders = Order.objects.bulk_create(
        Order(
            requester=citizen,
            community=community,
            reach=county,
            category=category,
            description=f"基准需求 {i + 1}",
            address="基准小区1号",
            latitude=Decimal("33.067800"),
            longitude=Decimal("107.023400"),
            wanted_from=now + timedelta(days=1),
            wanted_until=now + timedelta(days=1, hours=2),
            volunteers_needed=capacity,
            state=OrderState.PUBLISHED,
            created_at=now,
            updated_at=now,
            published_at=now,
        )
        for i in range(count)
    )
    return [order.pk for order in orders]


def give_tokens(county: Organization, count: int) -> list[str]:
    """API tokens of `count` random active members of the county (whom its orders reach)."""
    users = list(
        Member.objects.filter(is_active=True, branch__path__startswith=county.path)
        .order_by("?")
        .values_list("user_id", flat=True)[:count]
    )
    if len(users) < count:
        sys.exit(f"only {len(users)} active members in {county}: seed the city first")
    expires = clock.now() + timedelta(hours=3)
    keys = [secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user_id=user_id, key_hash=ApiToken.hash_key(key), expires_at=expires)
            for user_id, key in zip(users, keys, strict=True)
        ],
        batch_size=2000,
    )
    return keys


def races(keys: list[str], orders: list[int], tries: int) -> list[tuple[str, str, str, str]]:
    """Each member's claims on `tries` different random orders, interleaved member by member
    so that the orders fill up while everybody is asking."""
    picks = [random.sample(orders, min(tries, len(orders))) for _ in keys]
    return [
        (key, "POST", f"/api/v1/volunteer/orders/{pick[round_]}/claims", "")
        for round_ in range(min(tries, len(orders)))
        for key, pick in zip(keys, picks, strict=True)
    ]


def check(orders: list[int], capacity: int) -> tuple[int, list[str]]:
    """The live claims of the orders, and what is wrong with them (nothing, when the
    capacity held)."""
    live = Claim.objects.filter(order_id__in=orders).exclude(state="released")
    problems = []
    per_order = dict(live.values_list("order_id").annotate(n=Count("id")))
    for order in Order.objects.filter(pk__in=orders).only("pk", "claimed_count", "state"):
        n = per_order.get(order.pk, 0)
        if n != capacity or order.claimed_count != n:
            problems.append(f"order {order.pk}: {n} claims, claimed_count {order.claimed_count}")
        if order.state not in rules.OPEN_FOR_CLAIMS:
            problems.append(f"order {order.pk}: state {order.state}")
    doubles = live.values("order_id", "member_id").annotate(n=Count("id")).filter(Q(n__gt=1))
    problems += [f"member {d['member_id']} twice on order {d['order_id']}" for d in doubles]
    return live.count(), problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--tries", type=int, default=10, help="orders each member asks for")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument(
        "--duration", type=int, default=15, help="seconds measured (the races outlast it)"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--no-yardstick", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")

    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    county = Organization.objects.get_children(root).first()
    started = time.perf_counter()
    warm_orders = make_orders(county, WARM_UP_ORDERS, args.capacity)
    orders = make_orders(county, args.orders, args.capacity)
    keys = give_tokens(county, args.members + WARM_UP_MEMBERS)
    warm_keys, keys = keys[:WARM_UP_MEMBERS], keys[WARM_UP_MEMBERS:]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE volunteering_order, volunteering_claim, registry_apitoken")
    print(
        f"{args.orders} orders of {args.capacity} places in {county.name}, {args.members} "
        f"members asking for {args.tries} each, prepared in {time.perf_counter() - started:.0f} s"
    )
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-claims-"))
    (workdir / "lines.lua").write_text(LINES_LUA)
    warm_lines = races(warm_keys, warm_orders, 3)
    lines = races(keys, orders, args.tries)
    write_lines(workdir / "warm.tsv", warm_lines)
    write_lines(workdir / "claims.tsv", lines)
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": args.redis,
    }
    base = f"http://127.0.0.1:{args.port}"

    def phase(name: str, count: int, seconds: int) -> dict:
        script = ["-s", str(workdir / "lines.lua"), f"{base}/", "--", str(workdir / name)]
        return wrk(
            [
                "-t2",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--latency",
                *script,
                "2",
                str(count),
            ]
        )

    server = start_gunicorn("dangjian.wsgi:application", args, cwd=ROOT, env=env)
    try:
        warm_up(f"{base}/healthz", args.connections)
        phase("warm.tsv", len(warm_lines), 3)
        raced = phase("claims.tsv", len(lines), args.duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()

    claimed, problems = check(orders, args.capacity)
    connection.close()
    if not args.no_yardstick:
        args.port += 1
        args.duration = 15
        args.connections = 16
        _selected, inserted = bare_insert.measure(args, os.environ.get("DATABASE_URL", ""))

    load = os.getloadavg()
    counted = statuses(raced)
    print(
        f"\ngunicorn {args.workers} sync workers, wrk 2 threads, {connection.vendor}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    show("claims", raced)
    if raced["requests"] >= len(lines) - args.connections:
        # wrk runs for the whole duration: a phase that ran out of lines idled at the end,
        # and its rate is understated.
        print("warning: every claim was sent before the duration ended; use --tries to send more")
    print("answers by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(counted.items())))
    expected = args.orders * args.capacity
    print(f"live claims {claimed} (expected exactly {expected})")
    for problem in problems[:20]:
        print("  " + problem)
    server_errors = sum(n for code, n in counted.items() if code >= 500) + raced["socket_errors"]
    unexpected = sum(n for code, n in counted.items() if code not in (201, 409))
    if not args.no_yardstick:
        show("bare INSERT", inserted)
        print(f"claims: {raced['rps'] / inserted['rps']:.0%} of the bare INSERT")
    met = (
        claimed == expected
        and not problems
        and raced["p99"] < GOAL_P99_MS
        and server_errors == 0
        and unexpected == 0
    )
    print(
        f"goal: exactly {expected} claims, p99 < {GOAL_P99_MS} ms, 0 server errors: "
        f"{'met' if met else 'NOT met'} (server errors {server_errors}, answers other than "
        f"201/409 {unexpected})"
    )


if __name__ == "__main__":
    main()
