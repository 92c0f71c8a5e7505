"""Report: which tables a Citus cluster would distribute by city, and which statements of
the main journeys would stay on one city's shard (docs/scaling.md, "Past a province").

    createdb -h 127.0.0.1 -U postgres dangjian_citus
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_citus
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale demo
    .venv/bin/python bench/shard_report.py

It drives the journeys of the demo's accounts through Django's test client in this one
process, as the demo city's admins and members would (the city admin distributes a new
campaign, 红星村's secretary plans its theme day, the county reviews it, a member checks in
and out, comments and takes the month's quiz, the secretary watches attendance, the county
and the city read dashboards, rankings and exports), capturing every statement on every
connection, and prints the tables' classes and each journey's single- and multi-shard
statements (bench/shards.py says how they are decided). It writes to the database it is
given: run it on a throwaway copy. SQLite works too (no DATABASE_URL).
"""

import argparse
import os
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import UniqueConstraint  # noqa: E402
from django.test import Client  # noqa: E402

import shards  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.registry import services as registry  # noqa: E402
from dangjian.registry.models import Organization, User  # noqa: E402
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS, Activity  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
WRITE = re.compile(r'\s*(?:WITH .*?\)\s*)?(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)', re.S)
VENUE = (33.0678, 107.0234)
PHONES = {"city": "13900000001", "county": "13900000002", "secretary": "13900000003"}
MEMBER = "13900000004"


class Journeys:
    """The test client of each account, each request's statements kept under its step."""

    def __init__(self, analyzer, depths):
        self.analyzer = analyzer
        self.depths = depths
        self.records: dict[int, list] = {d: [] for d in depths}  # journey, step, verdict
        self.users = {k: User.objects.get(phone=v) for k, v in {**PHONES, "member": MEMBER}.items()}

    def page(self, who):
        client = Client()
        client.force_login(self.users[who], backend="django.contrib.auth.backends.ModelBackend")
        return client

    def call(self, journey, step, fn):
        with shards.Capture() as capture:
            response = fn()
        if response.status_code >= 400:
            raise SystemExit(f"{journey} {step}: {response.status_code} {response.content[:300]!r}")
        # Decided at once, at every depth: a row the next request deletes still names its
        # organization.
        for depth in self.depths:
            shards.CITY_DEPTH = depth
            self.records[depth] += [
                (journey, step, self.analyzer.verdict(sql)) for sql in capture.statements
            ]
        shards.CITY_DEPTH = self.depths[0]
        return response

    def api(self, who, journey, step, method, path, data=None):
        key, _ = registry.issue_api_token(user=self.users[who])
        client = Client(headers={"Authorization": f"Bearer {key}"})
        kw = {"content_type": "application/json"} if method in ("post", "put", "patch") else {}
        fn = getattr(client, method)
        response = self.call(journey, step, lambda: fn(f"/api/v1{path}", data or {}, **kw))
        return response.json() if response.content and "json" in response["Content-Type"] else None

    def get(self, who, journey, step, path):
        client = self.page(who)
        return self.call(journey, step, lambda: client.get(path))


def drive(j: Journeys) -> None:
    root = Organization.objects.get_root_nodes().first()
    county = j.users["county"].role_grants.first().org
    branch = j.users["secretary"].member.branch
    start = (clock.now() + timedelta(days=40)).replace(hour=9, minute=0, second=0, microsecond=0)
    start = start.astimezone(SHANGHAI).replace(hour=9)
    month = start.strftime("%Y-%m")
    first = start.replace(day=1).date()
    campaign = j.api(
        "city",
        "city admin",
        "campaign create",
        "post",
        "/campaigns",
        {
            "org_id": root.pk,
            "month": month,
            "theme": "分片报告",
            "holding_from": str(first),
            "holding_until": str(first + timedelta(days=24)),
        },
    )
    j.api("city", "city admin", "distribute", "post", f"/campaigns/{campaign['id']}/distribute")
    j.api("city", "city admin", "campaign progress", "get", f"/campaigns/{campaign['id']}/progress")

    plan = j.api(
        "secretary",
        "branch secretary",
        "plan draft",
        "post",
        "/activities",
        {
            "branch_id": branch.pk,
            "campaign_id": campaign["id"],
            "title": "分片报告主题党日",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "venue": {"address": "村党员活动室", "latitude": VENUE[0], "longitude": VENUE[1]},
            "agenda": list(DEFAULT_REQUIRED_ITEMS),
        },
    )
    j.api(
        "secretary", "branch secretary", "plan submit", "post", f"/activities/{plan['id']}/submit"
    )
    j.api("county", "county admin", "review queue", "get", "/reviews")
    j.api("county", "county admin", "approve", "post", f"/activities/{plan['id']}/approve")

    j.get("member", "member", "home", "/m/")
    token = Activity.objects.get(pk=plan["id"]).checkin_token
    where = {"token": token, "latitude": VENUE[0], "longitude": VENUE[1], "accuracy_m": 15}
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        j.api("member", "member", "check-in", "post", "/attendance/check-in", where)
        j.api(
            "secretary",
            "branch secretary",
            "attendance live",
            "get",
            f"/activities/{plan['id']}/attendance",
        )
        j.get(
            "secretary",
            "branch secretary",
            "attendance page",
            f"/console/activities/{plan['id']}/attendance/",
        )
    with time_machine.travel(start + timedelta(hours=2, minutes=10), tick=False):
        j.api(
            "member",
            "member",
            "check-out",
            "post",
            "/attendance/check-out",
            {**where, "reflection": "学习党章，收获很大。"},
        )
        j.api(
            "member",
            "member",
            "comment",
            "post",
            f"/activities/{plan['id']}/comments",
            {"body": "这次主题党日很有收获。"},
        )
    mine = j.api("member", "member", "my quizzes", "get", "/me/quizzes")
    # The month's quiz the member has not passed yet (open ones come first).
    quiz = next((q["quiz"] for q in mine if not q["passed"] and q["attempts_left"] != 0), None)
    if quiz is not None:
        path = f"/quizzes/{quiz['id']}/attempts"
        attempt = j.api("member", "member", "quiz start", "post", path)
        for slot in attempt["questions"][:3]:
            j.api(
                "member", "member", "quiz answer", "put",
                f"/attempts/{attempt['id']}/answers/{slot['question_id']}",
                {"answer": _an_answer(slot), "version": slot["version"] + 1},
            )  # fmt: skip
        j.api("member", "member", "quiz submit", "post", f"/attempts/{attempt['id']}/submit")

    last = (clock.now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    j.get("county", "county admin", "dashboard", f"/console/dashboards/orgs/{county.pk}/")
    j.api("county", "county admin", "ranking", "get", f"/orgs/{county.pk}/ranking?period={last}")
    j.get("county", "county admin", "console home", "/console/home/")
    j.get("city", "city admin", "dashboard", f"/console/dashboards/orgs/{root.pk}/")
    j.api("city", "city admin", "city ranking", "get", f"/orgs/{root.pk}/ranking?period={last}")
    j.get(
        "city", "city admin", "ranking export", f"/console/dashboards/orgs/{root.pk}/ranking.xlsx"
    )
    j.get("city", "city admin", "member export", f"/console/orgs/{root.pk}/members/export.xlsx")
    j.get(
        "county", "county admin", "member export", f"/console/orgs/{county.pk}/members/export.xlsx"
    )


def _an_answer(slot):
    kind = slot.get("kind")
    options = [o["key"] for o in slot.get("options") or []]
    if kind == "multiple":
        return options[:1]
    if kind == "true_false":
        return True
    if kind == "fill_in":
        return "答"
    return options[0] if options else None


def report(records, tables, show):
    print(f"\n{'table':<40} {'class':<12} {'rows':>7}  city key today")
    for t in sorted(tables.values(), key=lambda t: (t.kind, t.table)):
        if t.table.startswith(("auth_", "axes_", "django_")) and not t.rows:
            continue
        key = f"{t.direct} (own column)" if t.direct else (t.route or "-")
        key = key if t.kind == "distributed" else ""
        rows = "-" if t.rows is None else t.rows
        print(f"{t.table:<40} {t.kind:<12} {rows:>7}  {key}")
    totals: dict[str, Counter] = defaultdict(Counter)
    steps: dict[tuple[str, str], Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    writes: dict[str, Counter] = defaultdict(Counter)
    for journey, step, v in records:
        if v.kind == "control":
            continue
        for c in (totals[journey], steps[(journey, step)]):
            c[v.kind] += 1
            c["statements"] += 1
            c["via account"] += v.via_user
        written = WRITE.match(v.sql)
        if written and v.kind == "none":
            writes[journey][written.group(1)] += 1
        if v.kind in ("multi", "unparsed"):
            reasons[journey][f"{step}: {v.reason} ({', '.join(v.distributed)})"] += 1
        if show:
            print(f"[{journey} / {step}] {v.kind} {v.reason}\n    {v.sql}")
    summary(records)
    print(
        f"\n{'journey / step':<40} {'statements':>10} {'single':>7} {'multi':>6} {'ref/local':>9}"
    )
    for (journey, step), c in steps.items():
        name = f"{journey} / {step}"
        print(f"{name:<40} {c['statements']:>10} {c['single']:>7} {c['multi']:>6} {c['none']:>9}")
    for journey, c in writes.items():
        print(
            f"\nwrites to reference or local tables in {journey}: "
            + ", ".join(f"{table} {n}" for table, n in c.most_common())
        )
    for journey, c in reasons.items():
        print(f"\nmulti-shard in {journey}:")
        for reason, n in c.most_common():
            print(f"  {n:>3} × {reason}")
    return totals


def summary(records) -> None:
    totals: dict[str, Counter] = defaultdict(Counter)
    for journey, _, v in records:
        if v.kind != "control":
            totals[journey][v.kind] += 1
            totals[journey]["statements"] += 1
            totals[journey]["via account"] += v.via_user
    print(
        f"\n{'journey':<18} {'statements':>10} {'single':>7} {'multi':>6} {'ref/local':>9} "
        f"{'unparsed':>8} {'via account':>11}"
    )
    for journey, c in totals.items():
        print(
            f"{journey:<18} {c['statements']:>10} {c['single']:>7} {c['multi']:>6} "
            f"{c['none']:>9} {c['unparsed']:>8} {c['via account']:>11}"
        )


def schema_changes(tables) -> None:
    """What Citus asks of the schema: every primary key and unique constraint of a
    distributed table holds the distribution column, and no foreign key leads from a
    distributed table to a local one or from a reference table to a distributed one."""
    models = shards.models_by_table()
    uniques, to_local, from_reference = [], Counter(), []
    for t in tables.values():
        model = models[t.table]
        if t.kind == "distributed":
            sets = [f.column for f in model._meta.concrete_fields if f.unique and not f.primary_key]
            sets += [",".join(u) for u in model._meta.unique_together]
            sets += [
                ",".join(c.fields) + (" (partial)" if c.condition is not None else "")
                for c in model._meta.constraints
                if isinstance(c, UniqueConstraint) and c.fields
            ]
            uniques += [f"{t.table}({u})" for u in sets]
        for f in model._meta.concrete_fields:
            if not f.is_relation or not f.db_constraint:
                continue
            target = tables.get(f.related_model._meta.db_table)
            if t.kind == "distributed" and target and target.kind == "local":
                to_local[f"{target.table}"] += 1
            if t.kind == "reference" and target and target.kind == "distributed":
                from_reference.append(f"{t.table}.{f.column} -> {target.table}")
    print(f"\nunique constraints to hold city_id besides the primary key ({len(uniques)}):")
    for u in uniques:
        print(f"  {u}")
    print(
        "foreign keys from distributed tables to local ones: "
        + ", ".join(f"{table} {n}" for table, n in to_local.most_common())
    )
    print("foreign keys from reference tables to distributed ones: " + ", ".join(from_reference))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every statement's verdict")
    parser.add_argument(
        "--also",
        type=int,
        nargs="*",
        default=[3, 4],
        help="other depths of the tree to weigh as the key, on the same statements",
    )
    args = parser.parse_args()
    settings.DEBUG = False
    tables = shards.classify_tables(count_rows=True)
    dialect = {"postgresql": "postgres"}.get(connection.vendor, connection.vendor)
    analyzer = shards.Analyzer(tables, shards.Cities(tables), dialect)
    j = Journeys(analyzer, [shards.CITY_DEPTH, *args.also])
    drive(j)
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"city = the first {shards.CITY_DEPTH - 1} level(s) under the root "
        f"({Organization.objects.filter(depth=shards.CITY_DEPTH).count()} of them), "
        f"journeys driven at {datetime.now(tz=SHANGHAI):%Y-%m-%d %H:%M}"
    )
    report(j.records[shards.CITY_DEPTH], tables, args.show)
    for depth in args.also:
        print(f"\nwith the key at depth {depth} instead ({depth - 1} levels under the root):")
        summary(j.records[depth])
    schema_changes(tables)


if __name__ == "__main__":
    main()
