"""Deterministic demo data shaped like Hanzhong: the organization tree (`tree`), members
(`people`) and the demo logins. `manage.py seed` runs it.

Two scales: `demo` (about 60 branches and 1,500 members, seconds to load) and `city`
(Hanzhong's 9,000 organizations and 208,000 members). The tree goes in with bulk inserts
whose materialized paths `tree` computes; the members go through the real bulk import,
so that every generated row is judged by the same rules as a typed-in member.
"""

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from dangjian.audit import services as audit
from dangjian.core.errors import DomainError
from dangjian.demodata import learning, packages, supervision, volunteering
from dangjian.demodata.people import add_years, member_rows
from dangjian.demodata.tree import (
    CITY_CODE,
    CITY_NAME,
    COUNTY_REGION,
    DEMO_BRANCH_CODE,
    DEMO_BRANCH_NAME,
    SCALES,
    OrgSpec,
    build_tree,
    insert_tree,
)
from dangjian.registry import idcard, services
from dangjian.registry.imports import import_member_rows
from dangjian.registry.invitations import activated_q
from dangjian.registry.models import Member, Organization, OrgKind, Role, RoleGrant, User

DEMO_PASSWORD = "Dangjian@2026"
MEMBER_TARGET = {"demo": 1500, "city": 208_000}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    phone: str
    name: str
    where: str


DEMO_LOGINS = [
    DemoLogin("city admin", "13900000001", "市委组织部管理员", f"admin of {CITY_NAME}"),
    DemoLogin("county admin", "13900000002", "汉台区委组织部管理员", "admin of 汉台区"),
    DemoLogin(
        "branch secretary", "13900000003", "王建国", f"admin and member of {DEMO_BRANCH_NAME}"
    ),
    DemoLogin("member", "13900000004", "李秀英", f"member of {DEMO_BRANCH_NAME}"),
    DemoLogin("flowing member", "13900000005", "张磊", f"member of {DEMO_BRANCH_NAME}, flowing"),
]

# A resident of the demo village who orders services (群众点单). Citizens have no password:
# they sign in at /c/ with a code, shown in the console's SMS outbox (SMS_DEMO_OUTBOX).
CITIZEN = DemoLogin(
    "citizen", volunteering.CITIZEN_PHONE, volunteering.CITIZEN_NAME, "resident of 红星村"
)

DEMO_MEMBERS = {
    # phone: (gender, birth date, join date, flowing location)
    "13900000003": ("male", date(1972, 5, 16), date(1996, 7, 1), ""),
    "13900000004": ("female", date(1986, 9, 12), date(2012, 6, 28), ""),
    "13900000005": ("male", date(1993, 3, 8), date(2016, 7, 1), "广东省深圳市"),
}


# A member of the demo branch as an import leaves them: no password yet. They get in by SMS
# code (/m/activate/), the code shown in the console's SMS outbox (SMS_DEMO_OUTBOX).
NOT_ACTIVATED = DemoLogin(
    "not activated member", "13900000006", "赵敏", f"member of {DEMO_BRANCH_NAME}"
)
DEMO_MEMBERS_NOT_ACTIVATED = {
    NOT_ACTIVATED.phone: ("female", date(1990, 11, 3), date(2015, 7, 1), ""),
}


def _demo_id_number(phone: str) -> str:
    gender, born, _join, _where = {**DEMO_MEMBERS, **DEMO_MEMBERS_NOT_ACTIVATED}[phone]
    sequence = 111 + int(phone[-1]) * 2 + (0 if gender == "male" else 1)
    return idcard.make("610702", born, sequence)


def not_activated_id_last6() -> str:
    return _demo_id_number(NOT_ACTIVATED.phone)[-6:]


def _ensure_not_activated(city_admin: User) -> int:
    """The demo member without a password (as imported); created before the other members
    are imported, so that their phones and ID numbers stay clear of it."""
    if User.objects.filter(phone=NOT_ACTIVATED.phone).exists():
        return 0
    gender, born, join, _where = DEMO_MEMBERS_NOT_ACTIVATED[NOT_ACTIVATED.phone]
    services.create_member(
        actor=city_admin,
        branch=Organization.objects.get(code=DEMO_BRANCH_CODE),
        name=NOT_ACTIVATED.name,
        gender=gender,
        birth_date=born,
        id_number=_demo_id_number(NOT_ACTIVATED.phone),
        phone=NOT_ACTIVATED.phone,
        join_date=join,
        full_date=add_years(join, 1),
        status="full",
    )
    return 1


def _ensure_logins(city_admin: User, root: Organization) -> int:
    """The county admin and the three members of the demo branch, with real passwords
    (PBKDF2 is slow: only these few) and their roles. Returns how many were created."""
    created = 0
    county = Organization.objects.get_children(root).get(code=COUNTY_REGION["汉台区"])
    branch = Organization.objects.get(code=DEMO_BRANCH_CODE)
    names = {login.phone: login.name for login in DEMO_LOGINS}

    county_admin = User.objects.filter(phone="13900000002").first()
    if county_admin is None:
        county_admin = User.objects.create_user(
            phone="13900000002", name=names["13900000002"], password=DEMO_PASSWORD
        )
        created += 1
    services.grant_admin(actor=city_admin, org=county, user=county_admin)

    for phone, (gender, born, join, where) in DEMO_MEMBERS.items():
        if Member.objects.filter(user__phone=phone).exists():
            continue
        member = services.create_member(
            actor=city_admin,
            branch=branch,
            name=names[phone],
            gender=gender,
            birth_date=born,
            id_number=_demo_id_number(phone),
            phone=phone,
            join_date=join,
            full_date=add_years(join, 1),
            status="full",
            is_flowing=bool(where),
            flowing_location=where,
        )
        member.user.set_password(DEMO_PASSWORD)
        member.user.save(update_fields=["password"])
        created += 1
    secretary = User.objects.get(phone="13900000003")
    services.grant_admin(actor=city_admin, org=branch, user=secretary)
    return created


def _ensure_secretaries(city_admin: User, root: Organization) -> int:
    """Every branch with members and no admin gets its secretary: its first member (not a
    demo login), granted the admin role of the branch, as a county would. They plan, decide
    leave and answer rectifications in the demo's history (they have no password: an
    imported member activates by SMS code). Returns how many were granted."""
    demo_phones = {login.phone for login in DEMO_LOGINS} | {NOT_ACTIVATED.phone}
    run = set(
        RoleGrant.objects.filter(
            role=Role.ADMIN, org__path__startswith=root.path, org__kind=OrgKind.BRANCH
        ).values_list("org_id", flat=True)
    )
    first: dict[int, Member] = {}
    for member in (
        Member.objects.in_subtree(root.path)
        .filter(is_active=True, is_flowing=False)
        .exclude(branch_id__in=run)
        .exclude(user__phone__in=demo_phones)
        .select_related("user", "branch")
        .order_by("branch_id", "pk")
    ):
        first.setdefault(member.branch_id, member)
    for member in first.values():
        services.grant_admin(actor=city_admin, org=member.branch, user=member.user)
    return len(first)


# Of the imported members, those who have activated their account by now (a year of
# check-ins on their phones); the others are still to (the demo's 赵敏 among them).
ACTIVATED_SHARE = 0.93


def _activate_members(root: Organization, seed: int) -> int:
    """Most imported members activated their account during the year: each gets a usable
    password of their own choosing, which nobody here knows (one random secret, hashed
    once: PBKDF2 for every member would take minutes). Skipped once any imported member
    is activated. Returns how many were activated."""
    demo_phones = {login.phone for login in DEMO_LOGINS} | {NOT_ACTIVATED.phone}
    members = Member.objects.in_subtree(root.path).exclude(user__phone__in=demo_phones)
    if members.filter(activated_q()).exists():
        return 0
    rng = random.Random(f"{seed}:activated")
    users = [
        pk
        for pk in members.order_by("user_id").values_list("user_id", flat=True)
        if rng.random() < ACTIVATED_SHARE
    ]
    return User.objects.filter(pk__in=users).update(
        password=make_password(secrets.token_urlsafe(24))
    )


@dataclass
class SeedReport:
    scale: str
    orgs_created: int = 0
    logins_created: int = 0
    members_created: int = 0
    secretaries_created: int = 0
    members_activated: int = 0
    articles_created: int = 0
    orgs_total: int = 0
    branches_total: int = 0
    members_total: int = 0
    flowing_total: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    supervision_facts: supervision.SupervisionFacts | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.orgs_created
            or self.logins_created
            or self.members_created
            or self.secretaries_created
            or self.members_activated
            or self.articles_created
            or (self.supervision_facts is not None and self.supervision_facts.changed)
        )


def give_root_code(root: Organization, code: str) -> None:
    """The code of a root `bootstrap_city` made without one, audited as an admin's change
    of an organization is."""
    root.code = code
    root.save(update_fields=["code", "updated_at"])
    audit.record(
        actor=None,
        action="org.update",
        obj=root,
        org=root,
        before={"code": None},
        after={"code": code},
    )


def _is_seeded_login(root: Organization) -> bool:
    return RoleGrant.objects.filter(
        org=root, role=Role.ADMIN, user__phone=DEMO_LOGINS[0].phone
    ).exists()


def _check_plan_matches(tree: OrgSpec, root: Organization) -> None:
    """Members are planned branch by branch: the tree here must be the one planned."""
    planned = {o.code for o in tree.walk() if o.kind == OrgKind.BRANCH}
    present = set(
        Organization.objects.filter(
            path__startswith=root.path, kind=OrgKind.BRANCH, code__in=planned
        ).values_list("code", flat=True)
    )
    if present != planned:
        raise DomainError(
            "seed_mismatch",
            "the organization tree here was seeded with another --scale or --seed; "
            "seed members with the same options, or into a fresh database",
        )


def seed(
    *,
    scale: str,
    seed: int = 2026,
    with_members: bool = True,
    with_supervision: bool = True,
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedReport:
    """Seed a city; each stage (tree, logins, members) is skipped when already present, so
    a second run changes nothing. Everything is one transaction: all or nothing, but for
    the demo's supervision cycle (`supervision`), whose services each commit their own."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    report = SeedReport(scale=scale)
    started = time.perf_counter()
    rng = random.Random(seed)
    tree = build_tree(scale, rng)
    report.seconds["plan"] = time.perf_counter() - started

    with transaction.atomic():
        root = Organization.objects.get_root_nodes().filter(name=CITY_NAME).first()
        if root is None or not _is_seeded_login(root):
            grant = services.bootstrap_city(
                name=CITY_NAME,
                phone=DEMO_LOGINS[0].phone,
                password=DEMO_PASSWORD,
                admin_name=DEMO_LOGINS[0].name,
            )
            root = grant.org
            report.logins_created += 1
        city_admin = User.objects.get(phone=DEMO_LOGINS[0].phone)
        if not root.code and not Organization.objects.filter(code=CITY_CODE).exists():
            # bootstrap_city makes a root without a code; the seeded codes extend this one.
            give_root_code(root, CITY_CODE)

        t = time.perf_counter()
        if Organization.objects.filter(code=DEMO_BRANCH_CODE).exists():
            existing = Organization.objects.filter(path__startswith=root.path).count()
            planned = sum(1 for _ in tree.walk())
            progress(f"organization tree already present ({existing} organizations), skipped")
            if existing < planned * 0.9 or existing > planned * 1.1:
                report.notes.append(
                    f"the tree already here ({existing} organizations) is not the {scale} "
                    f"scale ({planned}); seed another scale into a fresh database"
                )
        else:
            codes = [o.code for o in tree.walk() if o.code and o is not tree]
            clash = list(
                Organization.objects.filter(code__in=codes).values_list("code", flat=True)[:5]
            )
            if clash:
                raise DomainError(
                    "duplicate_code",
                    "organization codes already in use: " + ", ".join(clash),
                )
            root.refresh_from_db()
            report.orgs_created = insert_tree(root, tree.children)
            progress(
                f"organizations: {report.orgs_created} created in {time.perf_counter() - t:.1f} s"
            )
        report.seconds["organizations"] = time.perf_counter() - t

        t = time.perf_counter()
        root.refresh_from_db()
        report.logins_created += _ensure_logins(city_admin, root)
        report.seconds["logins"] = time.perf_counter() - t

        t = time.perf_counter()
        demo_phones = {login.phone for login in DEMO_LOGINS} | {NOT_ACTIVATED.phone}
        members_here = Member.objects.in_subtree(root.path).exclude(user__phone__in=demo_phones)
        if not with_members:
            progress("members: skipped (--no-members)")
        elif members_here.exists():
            progress(f"members already present ({members_here.count()}), skipped")
            report.members_created += _ensure_not_activated(city_admin)
        else:
            report.members_created += _ensure_not_activated(city_admin)
            _check_plan_matches(tree, root)
            progress(f"members: importing {MEMBER_TARGET[scale]} rows...")
            taken_phones = set(User.objects.values_list("phone", flat=True))
            rows = member_rows(
                tree,
                MEMBER_TARGET[scale],
                rng,
                reserved_phones=taken_phones,
                reserved_ids={_demo_id_number(p) for p in DEMO_MEMBERS}
                | {_demo_id_number(NOT_ACTIVATED.phone)},
                skip={DEMO_BRANCH_CODE: len(DEMO_MEMBERS) + len(DEMO_MEMBERS_NOT_ACTIVATED)},
            )
            result = import_member_rows(actor=city_admin, org=root, rows=rows, first_row=2)
            report.members_created += result.created
            progress(f"members: {result.created} created in {time.perf_counter() - t:.1f} s")
        report.secretaries_created = _ensure_secretaries(city_admin, root)
        report.members_activated = _activate_members(root, seed)
        report.seconds["members"] = time.perf_counter() - t

        t = time.perf_counter()
        county = Organization.objects.get_children(root).get(code=COUNTY_REGION["汉台区"])
        report.articles_created = learning.seed_articles(
            root=root, county=county, city_admin=city_admin
        )
        if report.articles_created:
            progress(f"learning: {report.articles_created} articles published")
        if packages.seed_package(root=root, city_admin=city_admin):
            progress("learning: this month's study package published")
        report.seconds["articles"] = time.perf_counter() - t

        t = time.perf_counter()
        village = Organization.objects.get(code=DEMO_BRANCH_CODE)
        if volunteering.seed_volunteering(village=village, county=county):
            progress("volunteering: the village's service menu, citizens and orders")
        report.seconds["volunteering"] = time.perf_counter() - t

    if scale == "demo" and with_supervision:
        # After the commit: the simulated months and the services below (a bulletin's files,
        # a county's sheet) are transactions of their own, as in production.
        t = time.perf_counter()
        report.supervision_facts = supervision.seed_supervision(
            root=root,
            county=county,
            village=village,
            city_admin=city_admin,
            seed=seed,
            progress=progress,
        )
        report.seconds["supervision"] = time.perf_counter() - t

    return finish_report(report, root, started)


def finish_report(report, root: Organization, started: float):
    """`report` completed for the tree under `root`: statistics refreshed on PostgreSQL
    after a seeding that changed anything, and the totals counted from the database."""
    if report.changed and connection.vendor == "postgresql":
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report.seconds["analyze"] = time.perf_counter() - t

    subtree = Organization.objects.filter(path__startswith=root.path)
    report.orgs_total = subtree.count()
    report.branches_total = subtree.filter(kind=OrgKind.BRANCH).count()
    members = Member.objects.in_subtree(root.path).filter(is_active=True)
    report.members_total = members.count()
    report.flowing_total = members.filter(is_flowing=True).count()
    report.seconds["total"] = time.perf_counter() - started
    return report
