"""Members for the planned tree: plausible names, valid ID numbers, unique phones and
dates that pass the Party's rules, spread over the branches by their weights."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from dangjian.core import clock
from dangjian.demodata.tree import COUNTIES, OrgSpec
from dangjian.registry import idcard
from dangjian.registry.models import OrgKind, Sector

# Party rules want at least three full members before a branch may be set up.
MIN_BRANCH_SIZE = 3
PROBATIONARY_SHARE = 0.10
# The demo logins' phones; no generated member gets one.
DEMO_PHONE_PREFIX = "139000000"


def _weighted(text: str) -> list[tuple[str, int]]:
    """'name:weight name:weight ...' -> [(name, weight), ...]"""
    return [(name, int(weight)) for name, weight in (item.split(":") for item in text.split())]


# Surnames with rough relative frequencies; 诸葛 for the local colour of 勉县.
SURNAMES = _weighted(
    "王:72 李:70 张:68 刘:53 陈:46 杨:32 赵:21 黄:19 周:18 吴:17 徐:14 孙:13 "
    "胡:12 朱:11 高:11 林:10 何:10 郭:10 马:9 罗:9 梁:8 宋:8 郑:8 谢:7 韩:7 "
    "唐:7 冯:7 于:6 董:6 萧:5 程:5 曹:5 袁:5 邓:5 许:5 傅:4 沈:4 曾:4 彭:4 吕:4 "
    "苏:4 卢:4 蒋:4 蔡:4 贾:3 丁:3 魏:3 薛:3 叶:3 阎:3 余:3 潘:3 杜:3 戴:3 夏:3 "
    "钟:3 汪:3 田:3 任:3 姜:3 范:3 方:3 石:3 姚:3 谭:2 廖:2 邹:2 熊:2 金:2 陆:2 "
    "郝:2 孔:2 白:2 崔:2 康:2 毛:2 邱:2 秦:2 江:2 史:2 顾:2 侯:2 邵:2 孟:2 龙:2 "
    "万:2 段:2 雷:2 钱:2 汤:2 尹:2 易:1 常:1 武:1 乔:1 贺:1 赖:1 龚:1 文:1 "
    "欧阳:1 诸葛:1"
)
MALE_CHARS = list(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩凯健俊帆旭宇林峰建国志文海鸿亮东博睿翔晨阳"
)
FEMALE_CHARS = list("芳娜敏静丽艳娟霞燕玲桂英萍红梅琳雪倩婷慧莉洁颖琴云兰凤秀玉欣怡佳悦蕾璐晶妍晓")
# Given names of the generation born before about 1970.
OLD_MALE = "建国 建军 国强 志强 德明 永福 振华 卫东 红军 学军 保国 兴华 文革 新民 跃进 长江".split()
OLD_FEMALE = "秀英 桂兰 玉兰 秀兰 桂英 淑珍 凤英 秀珍 玉梅 红梅 春梅 素芳 爱华 金花 翠兰".split()

FLOWING_LOCATIONS = _weighted(
    "陕西省西安市:16 陕西省西安市雁塔区:6 广东省深圳市:10 广东省深圳市宝安区:4 "
    "广东省广州市:6 广东省东莞市:6 浙江省杭州市:7 浙江省宁波市:4 江苏省苏州市:5 "
    "上海市:5 北京市:4 四川省成都市:7 重庆市:4 福建省厦门市:3 湖北省武汉市:3 "
    "河南省郑州市:2 陕西省宝鸡市:2 新疆维吾尔自治区乌鲁木齐市:2 甘肃省兰州市:2"
)
# Members born outside Hanzhong: Xi'an, Xianyang, Ankang, Shangluo, Baoji, Guangyuan.
OTHER_REGIONS = ["610102", "610113", "610402", "610902", "611002", "610302", "510802"]
# (lowest age, highest age, weight): the Party's age profile leans older.
AGE_BANDS = [(20, 29, 11), (30, 39, 18), (40, 49, 20), (50, 59, 22), (60, 69, 17), (70, 85, 12)]
FLOWING_RATE = {
    Sector.RURAL: 0.10,
    Sector.COMMUNITY: 0.07,
    Sector.PRIVATE_ENTERPRISE: 0.07,
    Sector.SOCIAL_ORGANIZATION: 0.06,
}
FLOWING_RATE_OTHER = 0.035
MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
).split()


@dataclass
class _Registry:
    """What must stay unique across the whole city. A province's cities are generated one
    at a time, each in its own `part` (index, count) of the phone numbers and ID-number
    sequences, so that they never collide without one registry holding the province."""

    phones: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    part: tuple[int, int] = (0, 1)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _name(rng: random.Random, male: bool, born: date) -> str:
    surname = rng.choices(_SURNAME_NAMES, _SURNAME_WEIGHTS)[0]
    if born.year < 1970 and rng.random() < 0.45:
        return surname + rng.choice(OLD_MALE if male else OLD_FEMALE)
    chars = MALE_CHARS if male else FEMALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)


_SURNAME_NAMES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]
_FLOWING_NAMES = [s for s, _ in FLOWING_LOCATIONS]
_FLOWING_WEIGHTS = [w for _, w in FLOWING_LOCATIONS]
_AGE_WEIGHTS = [w for *_, w in AGE_BANDS]


def _phone(rng: random.Random, seen: set[str], part: tuple[int, int] = (0, 1)) -> str:
    index, count = part
    low, high = index * 100_000_000 // count, (index + 1) * 100_000_000 // count
    while True:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(low, high):08d}"
        if phone not in seen and not phone.startswith(DEMO_PHONE_PREFIX):
            seen.add(phone)
            return phone


def _id_number(
    rng: random.Random,
    region: str,
    born: date,
    male: bool,
    seen: set[str],
    part: tuple[int, int] = (0, 1),
) -> str:
    index, count = part
    low, high = 1 + index * 499 // count, 1 + (index + 1) * 499 // count
    while True:
        number = idcard.make(region, born, rng.randrange(low, high) * 2 + (1 if male else 0))
        if number not in seen:
            seen.add(number)
            return number


def member_row(rng: random.Random, branch: OrgSpec, today: date, registry: _Registry) -> dict:
    """One plausible member of `branch` as an import row (typed values, not text)."""
    probationary = rng.random() < PROBATIONARY_SHARE
    if probationary:
        # Joined within the last year; most new members are young.
        age = rng.randint(20, 45) if rng.random() < 0.85 else rng.randint(46, 58)
    else:
        low, high, _w = rng.choices(AGE_BANDS, _AGE_WEIGHTS)[0]
        age = rng.randint(low, high)
    born = today - timedelta(days=age * 365 + rng.randrange(365))
    male = rng.random() < 0.68
    region = branch.region or COUNTIES[rng.randrange(len(COUNTIES))][1]
    if rng.random() < 0.06:
        region = rng.choice(OTHER_REGIONS)
    eighteen = add_years(born, 18)
    if probationary:
        join = today - timedelta(days=rng.randrange(20, 350))
        full = None
    else:
        # Most join in their twenties or thirties; never before 18, and a year's
        # probation must have ended by today.
        latest = today - timedelta(days=380)
        join_age_days = int(rng.triangular(0, 30, 5) * 365)
        join = min(eighteen + timedelta(days=join_age_days), latest)
        if join < eighteen:
            join = eighteen
        full = min(join + timedelta(days=365 + rng.randrange(0, 12)), today)
    flowing = rng.random() < FLOWING_RATE.get(branch.sector, FLOWING_RATE_OTHER) * (
        1.6 if age < 50 else 0.4
    )
    return {
        "name": _name(rng, male, born),
        "gender": "male" if male else "female",
        "birth_date": born,
        "id_number": _id_number(rng, region, born, male, registry.ids, registry.part),
        "phone": _phone(rng, registry.phones, registry.part),
        "branch": branch.code,
        "join_date": join,
        "full_date": full,
        "status": "probationary" if probationary else "full",
        "is_flowing": flowing,
        "flowing_location": rng.choices(_FLOWING_NAMES, _FLOWING_WEIGHTS)[0] if flowing else "",
    }


def branch_sizes(tree: OrgSpec, total: int) -> list[tuple[OrgSpec, int]]:
    """Share `total` members among the branches in proportion to their weights."""
    branches = [o for o in tree.walk() if o.kind == OrgKind.BRANCH]
    weight = sum(b.weight for b in branches)
    spare = max(total - MIN_BRANCH_SIZE * len(branches), 0)
    sizes = [(b, MIN_BRANCH_SIZE + int(spare * b.weight / weight)) for b in branches]
    short = total - sum(n for _, n in sizes)
    # Hand the rounding remainder to the largest branches, one each.
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i][1])
    for i in order[: max(short, 0)]:
        sizes[i] = (sizes[i][0], sizes[i][1] + 1)
    return sizes


def member_rows(
    tree: OrgSpec,
    total: int,
    rng: random.Random,
    *,
    today: date | None = None,
    reserved_phones: set[str] = frozenset(),
    reserved_ids: set[str] = frozenset(),
    skip: dict[str, int] | None = None,
    part: tuple[int, int] = (0, 1),
) -> Iterator[dict]:
    """`total` member rows spread over the tree's branches; `skip` holds how many members
    a branch already has (the demo logins), so the totals come out as planned; `part`
    (index, count) keeps one city of a province clear of the others (see `_Registry`)."""
    today = today or clock.today()
    registry = _Registry(set(reserved_phones), set(reserved_ids), part)
    skip = skip or {}
    for branch, size in branch_sizes(tree, total):
        for _ in range(size - skip.get(branch.code, 0)):
            yield member_row(rng, branch, today, registry)
