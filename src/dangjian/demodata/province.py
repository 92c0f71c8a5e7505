"""A province of ten cities (`manage.py seed --scale province`): 陕西省 over its ten
cities, Hanzhong as the city scale plans it (with the demo logins) and the nine others
built on Hanzhong's pattern under their own names, codes and counties — about 90,000
organizations and 2.08 million members.

Memory stays that of one city: each city's tree is planned, inserted, and its members
generated and imported (the real bulk import, COPY on PostgreSQL) in a transaction of its
own before the next city is planned. The cities' phone numbers and ID numbers are drawn
from disjoint parts of their ranges (`people.member_rows(part=…)`), so no registry of the
whole province is held to keep them unique.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from dangjian.core.errors import DomainError
from dangjian.demodata.people import member_rows
from dangjian.demodata.seeding import (
    DEMO_LOGINS,
    DEMO_MEMBERS,
    DEMO_MEMBERS_NOT_ACTIVATED,
    DEMO_PASSWORD,
    NOT_ACTIVATED,
    DemoLogin,
    SeedReport,
    _activate_members,
    _demo_id_number,
    _ensure_logins,
    _ensure_not_activated,
    _ensure_secretaries,
    finish_report,
    give_root_code,
)
from dangjian.demodata.tree import (
    COUNTIES,
    DEMO_BRANCH_CODE,
    HANZHONG,
    CityPlan,
    build_tree,
    insert_tree,
)
from dangjian.registry import services
from dangjian.registry.imports import import_member_rows
from dangjian.registry.models import Member, Organization, OrgKind, User

PROVINCE_NAME = "陕西省"
PROVINCE_CODE = "61"
PROVINCE_MEMBERS = 2_080_000

PROVINCE_ADMIN = DemoLogin("province admin", "13900000000", "省委组织部管理员", "admin of 陕西省")

# The province's cities and their counties, districts and county-level cities. Each county
# takes the towns of one of Hanzhong's eleven in turn; its region code is the city's code
# and its place in the list.
_CITY_COUNTIES = [
    ("西安市", "6101", "新城区 碑林区 莲湖区 灞桥区 未央区 雁塔区 阎良区 "
     "临潼区 长安区 高陵区 鄠邑区 蓝田县 周至县"),
    ("铜川市", "6102", "王益区 印台区 耀州区 宜君县"),
    ("宝鸡市", "6103", "渭滨区 金台区 陈仓区 凤翔区 岐山县 扶风县 眉县 "
     "陇县 千阳县 麟游县 凤县 太白县"),
    ("咸阳市", "6104", "秦都区 杨陵区 渭城区 三原县 泾阳县 乾县 礼泉县 "
     "永寿县 长武县 旬邑县 淳化县 武功县 兴平市 彬州市"),
    ("渭南市", "6105", "临渭区 华州区 潼关县 大荔县 合阳县 澄城县 蒲城县 "
     "白水县 富平县 韩城市 华阴市"),
    ("延安市", "6106", "宝塔区 安塞区 延长县 延川县 志丹县 吴起县 甘泉县 "
     "富县 洛川县 宜川县 黄龙县 黄陵县 子长市"),
    ("汉中市", "6107", ""),
    ("榆林市", "6108", "榆阳区 横山区 府谷县 靖边县 定边县 绥德县 米脂县 "
     "佳县 吴堡县 清涧县 子洲县 神木市"),
    ("安康市", "6109", "汉滨区 汉阴县 石泉县 宁陕县 紫阳县 岚皋县 平利县 "
     "镇坪县 旬阳市 白河县"),
    ("商洛市", "6110", "商州区 洛南县 丹凤县 商南县 山阳县 镇安县 柞水县"),
]  # fmt: skip


def _plan(name: str, code: str, counties: str) -> CityPlan:
    if not counties:
        return HANZHONG
    pattern = [county for county, _region in COUNTIES]
    return CityPlan(
        name,
        code,
        tuple(
            (county, f"{code}{i + 2:02d}", pattern[i % len(pattern)])
            for i, county in enumerate(counties.split())
        ),
    )


CITIES: tuple[CityPlan, ...] = tuple(_plan(*city) for city in _CITY_COUNTIES)


def city_admin_login(index: int, city: CityPlan) -> DemoLogin:
    """Hanzhong keeps the city's demo admin; the others get 1390000002N (the demo's
    phones, 139000000…, are never generated for members)."""
    if city is HANZHONG:
        return DEMO_LOGINS[0]
    return DemoLogin(
        "city admin", f"1390000002{index}", f"{city.name}委组织部管理员", f"admin of {city.name}"
    )


def member_targets(total: int, cities: tuple[CityPlan, ...] = CITIES) -> list[int]:
    """The province's members shared among its cities by their number of counties."""
    counties = [len(city.counties) for city in cities]
    targets = [total * n // sum(counties) for n in counties]
    targets[0] += total - sum(targets)
    return targets


def build_city(index: int, seed: int, scale: str = "city", cities=CITIES):
    """City `index` of the province, planned in memory; the same seed, the same city."""
    return build_tree(scale, random.Random(f"{seed}:{cities[index].code}"), cities[index])


@dataclass(frozen=True)
class Shape:
    cities: int
    counties: int
    organizations: int
    branches: int
    members: int


def shape(seed: int = 2026, scale: str = "city", cities: tuple[CityPlan, ...] = CITIES) -> Shape:
    """What `seed_province` builds, counted on the plans alone (no database)."""
    orgs = branches = counties = 0
    for index in range(len(cities)):
        tree = build_city(index, seed, scale, cities)
        counties += len(cities[index].counties)
        for spec in tree.walk():
            orgs += 1
            branches += spec.kind == OrgKind.BRANCH
    total = PROVINCE_MEMBERS if scale == "city" else 1500 * len(cities)
    return Shape(len(cities), counties, orgs + 1, branches, total)


def _ensure_admin(province_admin: User, city: Organization, login: DemoLogin) -> int:
    user = User.objects.filter(phone=login.phone).first()
    created = 0
    if user is None:
        user = User.objects.create_user(phone=login.phone, name=login.name, password=DEMO_PASSWORD)
        created = 1
    services.grant_admin(actor=province_admin, org=city, user=user)
    return created


def seed_province(
    *,
    seed: int = 2026,
    scale: str = "city",
    cities: tuple[CityPlan, ...] = CITIES,
    with_members: bool = True,
    only: frozenset[str] = frozenset(),
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedReport:
    """Seed the province, a city at a time (each its own transaction); a city whose tree
    or members are there already is skipped, so a second run changes nothing. `scale`
    "demo" builds each city at the demo's size (the tests); `only` (city codes) seeds those
    cities alone, so that several commands can seed a province's cities side by side."""
    report = SeedReport(scale="province")
    started = time.perf_counter()
    total = PROVINCE_MEMBERS if scale == "city" else 1500 * len(cities)
    targets = member_targets(total, cities)
    with transaction.atomic():
        grant = services.bootstrap_city(
            name=PROVINCE_NAME,
            phone=PROVINCE_ADMIN.phone,
            password=DEMO_PASSWORD,
            admin_name=PROVINCE_ADMIN.name,
        )
        province = grant.org
        admin = grant.user
        if not province.code:
            give_root_code(province, PROVINCE_CODE)
    for index, plan in enumerate(cities):
        if only and plan.code not in only:
            continue
        t = time.perf_counter()
        rng = random.Random(f"{seed}:{plan.code}:members")
        tree = build_city(index, seed, scale, cities)
        # The tree in a transaction of its own: it locks the province's row, which the
        # other cities' trees need (several commands may seed different cities at once).
        with transaction.atomic():
            city = Organization.objects.filter(code=plan.code).first()
            if city is None:
                codes = [o.code for o in tree.walk() if o.code]
                clash = list(
                    Organization.objects.filter(code__in=codes).values_list("code", flat=True)[:5]
                )
                if clash:
                    raise DomainError(
                        "duplicate_code", "organization codes already in use: " + ", ".join(clash)
                    )
                province.refresh_from_db()
                report.orgs_created += insert_tree(province, [tree])
                city = Organization.objects.get(code=plan.code)
            elif not city.path.startswith(province.path):
                raise DomainError(
                    "seed_mismatch", f"{plan.name} ({plan.code}) is here, outside {PROVINCE_NAME}"
                )
        with transaction.atomic():
            report.logins_created += _ensure_admin(admin, city, city_admin_login(index, plan))
            hanzhong = plan is HANZHONG
            if hanzhong:
                city_admin = User.objects.get(phone=DEMO_LOGINS[0].phone)
                report.logins_created += _ensure_logins(city_admin, city)
            demo_phones = {login.phone for login in DEMO_LOGINS} | {NOT_ACTIVATED.phone}
            here = Member.objects.in_subtree(city.path).exclude(user__phone__in=demo_phones)
            if with_members and not here.exists():
                skip = {}
                if hanzhong:
                    report.members_created += _ensure_not_activated(city_admin)
                    skip = {DEMO_BRANCH_CODE: len(DEMO_MEMBERS) + len(DEMO_MEMBERS_NOT_ACTIVATED)}
                rows = member_rows(
                    tree,
                    targets[index],
                    rng,
                    reserved_ids={_demo_id_number(p) for p in DEMO_MEMBERS}
                    | {_demo_id_number(NOT_ACTIVATED.phone)},
                    skip=skip,
                    part=(index, len(cities)),
                )
                result = import_member_rows(actor=admin, org=city, rows=rows, first_row=2)
                report.members_created += result.created
            if with_members:
                report.secretaries_created += _ensure_secretaries(admin, city)
                report.members_activated += _activate_members(city, seed)
        del tree
        report.seconds[plan.name] = time.perf_counter() - t
        progress(f"{plan.name}: {time.perf_counter() - t:.1f} s")

    return finish_report(report, province, started)
