"""Benchmark: import a whole city's members from one file, then import it again.

    createdb -h 127.0.0.1 -U postgres dangjian_bench_import
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench_import
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/import_members.py --members 208000 [--format xlsx] [--reset]
    IMPORT_MAX_BYTES=314572800 .venv/bin/python bench/import_members.py \
        --cities 10 --members 2080000

Creates (once) its own root 基准测试市 with 11 counties × 16 towns × 50 branches (8,988
organizations, bulk-inserted with treebeard paths) and a root admin (with `--cities 10`,
a root 基准测试省 with ten such cities: 89,881 organizations), writes a file of N
members with valid ID numbers and unique phones spread over those branches, then times
`imports.import_members` on it (the create path) and on the same file again (the update
path, which changes nothing); with `--move`, then a file that moves every member to
another branch (every row updated, a transfer and an audit entry each). Prints wall
time, rows/s, the process's peak RSS and its CPU seconds (PostgreSQL's not counted).
`--reset` first deletes the members a previous run imported into the benchmark city, so
that the first import creates them all.
"""

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from dangjian.audit.models import AuditEntry  # noqa: E402
from dangjian.registry import idcard, imports, services  # noqa: E402
from dangjian.registry.models import (  # noqa: E402
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    Sector,
    Transfer,
    User,
)

ROOT_NAME = "基准测试市"
# With --cities N above 1: N such cities under this root (10: a province, 89,881 orgs).
PROVINCE_NAME = "基准测试省"
ADMIN_PHONE = "19900000001"
COUNTIES, TOWNS, BRANCHES = 11, 16, 50
# A region code and phone prefix no seeded or test data uses, so runs never collide (the
# province's own, so that the city and the province can share a database).
REGION, PHONE_PREFIX = "659001", "166"
PROVINCE_REGION, PROVINCE_PHONE_PREFIX = "659002", "167"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _city_nodes(path: str, depth: int, prefix: str, label: str) -> list[Organization]:
    """A city's counties, towns and branches below the node at `path` (bulk-inserted with
    treebeard paths, so that a province's 90,000 organizations take seconds)."""
    get_path = Organization._get_path
    nodes = []
    for c in range(1, COUNTIES + 1):
        cpath = get_path(path, depth + 1, c)
        nodes.append(
            Organization(
                path=cpath,
                depth=depth + 1,
                numchild=TOWNS,
                name=f"{label}{c}县",
                code=f"{prefix}{c:02d}",
                kind=OrgKind.COMMITTEE,
                sector=Sector.GOVERNMENT,
            )
        )
        for t in range(1, TOWNS + 1):
            tpath = get_path(cpath, depth + 2, t)
            nodes.append(
                Organization(
                    path=tpath,
                    depth=depth + 2,
                    numchild=BRANCHES,
                    name=f"{label}{c}县{t}镇党委",
                    code=f"{prefix}{c:02d}{t:02d}",
                    kind=OrgKind.COMMITTEE,
                    sector=Sector.RURAL,
                )
            )
            for b in range(1, BRANCHES + 1):
                nodes.append(
                    Organization(
                        path=get_path(tpath, depth + 3, b),
                        depth=depth + 3,
                        numchild=0,
                        name=f"{label}{c}县{t}镇{b}村党支部",
                        code=f"{prefix}{c:02d}{t:02d}{b:02d}",
                        kind=OrgKind.BRANCH,
                        sector=Sector.RURAL,
                    )
                )
    return nodes


def build_tree(cities: int) -> tuple[Organization, User]:
    """The city (cities=1) or a province of `cities` such cities under one root."""
    name = ROOT_NAME if cities == 1 else PROVINCE_NAME
    root = Organization.objects.get_root_nodes().filter(name=name).first()
    if root is None:
        with transaction.atomic():
            root = services.create_root_organization(name=name)
            if cities == 1:
                nodes = _city_nodes(root.path, 1, "BM", "基准")
                children = COUNTIES
            else:
                nodes = []
                for city in range(1, cities + 1):
                    path = Organization._get_path(root.path, 2, city)
                    nodes.append(
                        Organization(
                            path=path,
                            depth=2,
                            numchild=COUNTIES,
                            name=f"基准{city}市",
                            code=f"BP{city:02d}",
                            kind=OrgKind.COMMITTEE,
                            sector=Sector.GOVERNMENT,
                        )
                    )
                    nodes.extend(_city_nodes(path, 2, f"BP{city:02d}", f"基准{city}市"))
                children = cities
            assert all(len(n.path) == n.depth * Organization.steplen for n in nodes)
            Organization.objects.bulk_create(nodes, batch_size=2000)
            Organization.objects.filter(pk=root.pk).update(numchild=children)
            root.refresh_from_db()
    admin = User.objects.filter(phone=ADMIN_PHONE).first()
    if admin is None:
        admin = User.objects.create_user(phone=ADMIN_PHONE, name="基准测试管理员")
    RoleGrant.objects.get_or_create(user=admin, org=root, role=Role.ADMIN)
    return root, admin


def reset(root: Organization) -> None:
    members = Member.objects.filter(branch__path__startswith=root.path)
    user_ids = list(members.values_list("user_id", flat=True))
    with transaction.atomic():
        Transfer.objects.filter(member__branch__path__startswith=root.path).delete()
        AuditEntry.objects.filter(org__path__startswith=root.path).delete()
        members._raw_delete(members.db)
        for start in range(0, len(user_ids), 10000):
            User.objects.filter(pk__in=user_ids[start : start + 10000]).delete()
    print(f"reset: deleted {len(user_ids)} members")


def member_rows(n: int, branch_codes: list[str], region: str, phone_prefix: str):
    today = date.today()
    first_birth = date(1945, 1, 1)
    days = 14000  # birth dates 1945-1983
    for i in range(n):
        born = first_birth + timedelta(days=i % days)
        male = i % 3 != 0
        seq = (i // days) * 2 + (1 if male else 0)
        probationary = i % 10 == 0
        join = today - timedelta(days=200) if probationary else born + timedelta(days=365 * 25)
        flowing = i % 20 == 0
        yield [
            f"党员{i:06d}",
            idcard.make(region, born, seq),
            "男" if male else "女",
            born.isoformat(),
            f"{phone_prefix}{i:08d}",
            branch_codes[i % len(branch_codes)],
            join.isoformat(),
            "" if probationary else (join + timedelta(days=366)).isoformat(),
            "预备党员" if probationary else "正式党员",
            "是" if flowing else "否",
            "广东省深圳市" if flowing else "",
        ]


def write_file(path: str, fmt: str, n: int, branch_codes: list[str], province: bool) -> None:
    if province:
        rows = member_rows(n, branch_codes, PROVINCE_REGION, PROVINCE_PHONE_PREFIX)
    else:
        rows = member_rows(n, branch_codes, REGION, PHONE_PREFIX)
    headers = [title for _field, title in imports.MEMBER_COLUMNS]
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_import(label: str, admin, root, path: str, n: int) -> None:
    # CPU seconds beside the wall time: on a shared machine the wall time measures the load.
    cpu = cpu_seconds()
    started = time.perf_counter()
    with open(path, "rb") as f:
        result = imports.import_members(
            actor=admin, org=root, file=f, filename=os.path.basename(path)
        )
    elapsed = time.perf_counter() - started
    print(
        f"{label}: {elapsed:.1f} s, {n / elapsed:,.0f} rows/s, created={result.created}, "
        f"updated={result.updated}, peak RSS {peak_mib():.0f} MiB, "
        f"this process's CPU {cpu_seconds() - cpu:.0f} s, load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=208_000)
    parser.add_argument(
        "--cities",
        type=int,
        default=1,
        help="the city's tree (1) or a province of N such cities (10: 2,080,000 members' size)",
    )
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--reset", action="store_true", help="delete earlier benchmark members")
    parser.add_argument("--once", action="store_true", help="skip the second (update) import")
    parser.add_argument(
        "--move",
        action="store_true",
        help="then import a file that moves every member to another branch (worst-case update)",
    )
    args = parser.parse_args()

    root, admin = build_tree(args.cities)
    if args.reset:
        reset(root)
    branch_codes = list(
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH)
        .order_by("path")
        .values_list("code", flat=True)
    )
    existing = Member.objects.filter(branch__path__startswith=root.path).count()
    print(
        f"database: {connection.vendor}, cpus: {os.cpu_count()}, "
        f"orgs: {Organization.objects.filter(path__startswith=root.path).count()}, "
        f"branches: {len(branch_codes)}, members already there: {existing}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"members-{args.members}.{args.format}")
        started = time.perf_counter()
        write_file(path, args.format, args.members, branch_codes, args.cities > 1)
        size = os.path.getsize(path) / (1024 * 1024)
        print(
            f"file: {args.format}, {args.members} rows, {size:.1f} MiB, "
            f"written in {time.perf_counter() - started:.1f} s, peak RSS {peak_mib():.0f} MiB"
        )
        if os.path.getsize(path) > settings.IMPORT_MAX_BYTES:
            # The import would refuse it (file_too_large): say how to allow it instead.
            sys.exit(
                f"the file is larger than IMPORT_MAX_BYTES ({settings.IMPORT_MAX_BYTES}): "
                f"run with IMPORT_MAX_BYTES={int(os.path.getsize(path) * 1.2)} or more"
            )
        timed_import("first import", admin, root, path, args.members)
        if not args.once:
            timed_import("second import (same file)", admin, root, path, args.members)
        if args.move:
            moved = os.path.join(tmp, f"moved-{args.members}.{args.format}")
            shifted = branch_codes[1:] + branch_codes[:1]
            write_file(moved, args.format, args.members, shifted, args.cities > 1)
            timed_import("third import (every member moved)", admin, root, moved, args.members)
    total = Member.objects.filter(branch__path__startswith=root.path).count()
    print(f"members in the benchmark city: {total}")


if __name__ == "__main__":
    main()
