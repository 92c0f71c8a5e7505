"""The organization tree of a city shaped like Hanzhong (its districts and counties, towns
and streets, villages, communities, government units, enterprises, schools), planned in
memory with codes and membership weights, then bulk-inserted with the materialized paths
treebeard would give it."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from dangjian.core import clock
from dangjian.registry.imports.organizations import insert_organizations
from dangjian.registry.models import Organization, OrgKind, Sector

CITY_NAME = "汉中市"
CITY_CODE = "6107"
SCALES = ("demo", "city")

# Counties and districts with their GB/T 2260 codes, in the order Hanzhong lists them.
COUNTIES: list[tuple[str, str]] = [
    ("汉台区", "610702"),
    ("南郑区", "610703"),
    ("城固县", "610722"),
    ("洋县", "610723"),
    ("西乡县", "610724"),
    ("勉县", "610725"),
    ("宁强县", "610726"),
    ("略阳县", "610727"),
    ("镇巴县", "610728"),
    ("留坝县", "610729"),
    ("佛坪县", "610730"),
]
COUNTY_REGION = dict(COUNTIES)
DEMO_COUNTIES = {"汉台区": 3, "南郑区": 2, "城固县": 3, "勉县": 2}

# Towns (镇) and streets (街道) of each county; the first few are the demo's.
TOWNS: dict[str, list[str]] = {
    "汉台区": (
        "铺镇 北关街道 龙江街道 东大街街道 汉中路街道 中山街街道 东关街道 七里街道 "
        "鑫源街道 武乡镇 河东店镇 宗营镇 老君镇 汉王镇 徐望镇 褒河镇"
    ).split(),
    "南郑区": (
        "大河坎镇 汉山街道 圣水镇 协税镇 梁山镇 阳春镇 高台镇 新集镇 濂水镇 黄官镇 青树镇 "
        "红庙镇 牟家坝镇 法镇 湘水镇 小南海镇 碑坝镇 黎坪镇 福成镇 两河镇 胡家营镇"
    ).split(),
    "城固县": (
        "博望街道 龙头镇 柳林镇 莲花街道 沙河营镇 文川镇 老庄镇 桔园镇 原公镇 上元观镇 "
        "天明镇 二里镇 五堵镇 双溪镇 小河镇 三合镇 董家营镇"
    ).split(),
    "洋县": (
        "洋州街道 戚氏街道 纸坊街道 龙亭镇 谢村镇 马畅镇 溢水镇 磨子桥镇 黄家营镇 黄安镇 "
        "黄金峡镇 槐树关镇 金水镇 华阳镇 茅坪镇 关帝镇 桑溪镇 八里关镇"
    ).split(),
    "西乡县": (
        "城北街道 城南街道 杨河镇 柳树镇 沙河镇 私渡镇 桑园镇 白龙塘镇 峡口镇 堰口镇 "
        "茶镇 高川镇 两河口镇 大河镇 骆家坝镇 子午镇 白勉峡镇"
    ).split(),
    "勉县": (
        "勉阳街道 武侯镇 周家山镇 同沟寺镇 新街子镇 老道寺镇 褒城镇 金泉镇 定军山镇 "
        "温泉镇 元墩镇 阜川镇 新铺镇 茶店镇 镇川镇 漆树坝镇 长沟河镇 张家河镇"
    ).split(),
    "宁强县": (
        "汉源街道 高寨子街道 大安镇 代家坝镇 阳平关镇 燕子砭镇 广坪镇 青木川镇 毛坝河镇 "
        "铁锁关镇 胡家坝镇 巴山镇 舒家坝镇 太阳岭镇 安乐河镇 禅家岩镇 二郎坝镇"
    ).split(),
    "略阳县": (
        "兴州街道 接官亭镇 两河口镇 金家河镇 徐家坪镇 白水江镇 硖口驿镇 马蹄湾镇 乐素河镇 "
        "郭镇 黑河镇 白雀寺镇 西淮坝镇 五龙洞镇 观音寺镇 仙台坝镇"
    ).split(),
    "镇巴县": (
        "泾洋街道 渔渡镇 盐场镇 观音镇 巴山镇 杨家河镇 简池镇 三元镇 青水镇 永乐镇 "
        "赤南镇 碾子镇 兴隆镇 长岭镇 平安镇 黎坝镇 仁村镇 大池镇 小洋镇 巴庙镇"
    ).split(),
    "留坝县": "紫柏街道 马道镇 武关驿镇 留侯镇 江口镇 玉皇庙镇 火烧店镇 青桥驿镇".split(),
    "佛坪县": "袁家庄街道 陈家坝镇 大河坝镇 西岔河镇 岳坝镇 长角坝镇 石墩河镇 十亩地镇".split(),
}

# The branch the demo logins belong to: the first village of 汉台区's first town. Its code
# is also the marker that the tree has been seeded.
DEMO_BRANCH_NAME = "红星村党支部"
DEMO_BRANCH_CODE = "610702001001"


@dataclass
class OrgSpec:
    name: str
    kind: str
    sector: str
    code: str = ""
    category: str = ""
    region: str = ""
    # Relative size of a branch's membership before scaling to the target total.
    weight: float = 0.0
    children: list["OrgSpec"] = field(default_factory=list)

    def add(self, child: "OrgSpec") -> "OrgSpec":
        self.children.append(child)
        return child

    def walk(self) -> Iterator["OrgSpec"]:
        yield self
        for child in self.children:
            yield from child.walk()


# Typical membership by sector: villages and communities are large, private firms small.
SECTOR_WEIGHT = {
    Sector.RURAL: 34,
    Sector.COMMUNITY: 38,
    Sector.GOVERNMENT: 20,
    Sector.PUBLIC_INSTITUTION: 24,
    Sector.STATE_ENTERPRISE: 26,
    Sector.PRIVATE_ENTERPRISE: 9,
    Sector.SCHOOL: 22,
    Sector.SOCIAL_ORGANIZATION: 7,
    Sector.OTHER: 10,
}
STARS = ("五星", "四星", "三星")
STAR_WEIGHTS = (25, 50, 25)

VILLAGE_FIRST = list("青龙石黄白红新东西南北上下中高柳桃杨梨金马凤双三五七太安兴丰和平永长桂松")
VILLAGE_LAST = list("坝湾沟河岭坪营庄铺园寨桥口坡山塘垭溪门林田堰寺观关")
VILLAGE_FAMILY = list("王李张刘陈杨赵周吴徐孙朱胡郭何罗宋谢韩唐冯董邓彭曾")
COMMUNITY_NAMES = (
    "朝阳 滨江 天汉 兴汉 汉江 文化 东塔 西环 北环 南团结 莲湖 石马 望江 龙岗 翠屏 桥北 "
    "府东 府西 拜将坛 汉运 民主 建国 和平 新华 胜利 幸福 光明 友谊 团结 东风 南关 北门 "
    "西关 东门 红旗 育才 花园 锦绣 金华 华苑 长青 丰收 新城 古路 莲花 荷塘 金泉 汉源"
).split()
COUNTY_BUREAUS: list[tuple[str, str]] = [
    (name, Sector.GOVERNMENT)
    for name in (
        "纪委监委 组织部 宣传部 统战部 政法委 机构编制办 人大常委会办公室 政协办公室 "
        "政府办公室 发展和改革局 财政局 民政局 司法局 人力资源和社会保障局 自然资源局 "
        "住房和城乡建设局 交通运输局 水利局 农业农村局 商务局 文化和旅游局 卫生健康局 "
        "退役军人事务局 应急管理局 审计局 市场监督管理局 统计局 医疗保障局 林业局 信访局 "
        "城市管理局 行政审批服务局 生态环境分局 税务局 人民法院 人民检察院 总工会 团委 "
        "妇联 残联 工商联 科协 供销联社"
    ).split()
] + [
    (name, Sector.PUBLIC_INSTITUTION)
    for name in (
        "融媒体中心 档案馆 委党校 农业技术推广中心 就业服务中心 不动产登记中心 "
        "社会保险经办中心 公共资源交易中心 图书馆 文化馆"
    ).split()
]
CITY_BUREAUS = [
    (name, sector)
    for name, sector in COUNTY_BUREAUS
    if name not in ("机构编制办", "生态环境分局", "供销联社")
] + [
    ("生态环境局", Sector.GOVERNMENT),
    ("教育局", Sector.GOVERNMENT),
    ("公安局", Sector.GOVERNMENT),
    ("国有资产监督管理委员会", Sector.GOVERNMENT),
    ("科学技术局", Sector.GOVERNMENT),
    ("工业和信息化局", Sector.GOVERNMENT),
    ("汉江综合治理中心", Sector.PUBLIC_INSTITUTION),
    ("博物馆", Sector.PUBLIC_INSTITUTION),
]
COMPANY_PLACES = (
    "汉江 天汉 兴汉 秦巴 汉水 汉韵 朱鹮 龙岗 定军山 石门 褒河 南湖 青木川 华阳 汉源 金泉 "
    "仙毫 午子 富硒 汉山 牛头山 天台 黎坪 武侯 汉王 张骞 蔡伦 栈道 圣水 莲湖"
).split()
COMPANY_TRADES = (
    "茶业 药业 食品 建材 物流 农业科技 电子 机械 建筑工程 生物科技 旅游开发 商贸 "
    "新材料 服装 酒业 养殖 果业 印务 汽车销售 物业管理 粮油 环保科技 家居 电力安装"
).split()
SOCIAL_ORGS = (
    "律师事务所 会计师事务所 商会 个体劳动者协会 社会工作服务中心 志愿者协会 慈善协会 "
    "物业管理协会 养老服务中心 农民专业合作社联合会 民办幼儿园 职业培训学校"
).split()
STATE_COMPANIES = (
    "城市建设投资集团 交通建设投资集团 水务集团 文化旅游投资集团 农业发展集团 "
    "产业投资集团 国有资本运营公司 公共交通公司 粮食储备公司 供电分公司"
).split()
HOSPITAL_DEPTS = "内科 外科 医技 护理 行政后勤 离退休".split()
SCHOOL_KINDS = (
    "第一中学 第二中学 第三中学 实验中学 初级中学 实验小学 第一小学 第二小学 "
    "第三小学 东关小学 北关小学 职业教育中心 实验幼儿园 特殊教育学校"
).split()
NUMBERED = "第一 第二 第三 第四 第五 第六".split()


class _Codes:
    """Organization codes that read like the real ones: the parent's code plus a serial."""

    def __init__(self, parent: OrgSpec, width: int = 3, start: int = 1):
        self.parent, self.width, self.next = parent, width, start

    def __call__(self) -> str:
        code = f"{self.parent.code}{self.next:0{self.width}d}"
        self.next += 1
        return code


def _star(rng: random.Random) -> str:
    return rng.choices(STARS, STAR_WEIGHTS)[0]


def _branch(rng, parent: OrgSpec, codes, name: str, sector: str, weight: float = 1.0):
    return parent.add(
        OrgSpec(
            name=name,
            kind=OrgKind.BRANCH,
            sector=sector,
            code=codes(),
            category=_star(rng),
            region=parent.region,
            weight=SECTOR_WEIGHT[sector] * weight * rng.uniform(0.45, 1.55),
        )
    )


def _general_branch(rng, parent: OrgSpec, codes, stem: str, sector: str, sub: list[str]):
    """A 党总支 over a few branches (a big village, a large bureau, a hospital)."""
    gb = parent.add(
        OrgSpec(
            name=f"{stem}党总支",
            kind=OrgKind.GENERAL_BRANCH,
            sector=sector,
            code=codes(),
            region=parent.region,
        )
    )
    sub_codes = _Codes(gb, width=2)
    for label in sub:
        _branch(rng, gb, sub_codes, f"{stem}{label}党支部", sector, weight=0.6)
    return gb


def _committee(parent: OrgSpec, codes, name: str, sector: str) -> OrgSpec:
    return parent.add(
        OrgSpec(
            name=name, kind=OrgKind.COMMITTEE, sector=sector, code=codes(), region=parent.region
        )
    )


def _village_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        if rng.random() < 0.3:
            stem = rng.choice(VILLAGE_FAMILY) + "家" + rng.choice(VILLAGE_LAST)
        else:
            stem = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_LAST)
        if stem not in taken:
            taken.add(stem)
            names.append(stem + "村")
    return names


def _community_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    pool = [n for n in COMMUNITY_NAMES if n not in taken]
    rng.shuffle(pool)
    names = pool[:count]
    while len(names) < count:  # more communities than stock names: number them
        name = f"{rng.choice(COMMUNITY_NAMES)}{rng.choice(NUMBERED)[1]}"
        if name not in taken and name not in names:
            names.append(name)
    taken.update(names)
    return [n + "社区" for n in names]


def _company(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"汉中{rng.choice(COMPANY_PLACES)}{rng.choice(COMPANY_TRADES)}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def _sub_branches(rng: random.Random, kind: str) -> list[str]:
    n = rng.randint(2, 4)
    if kind == "village":
        return NUMBERED[: n - 1] + ["老党员"]
    if kind == "community":
        return [f"{label}网格" for label in NUMBERED[:n]]
    return NUMBERED[:n]


@dataclass(frozen=True)
class _TownPlan:
    """How many units of each sort a town or street holds, as (low, high) ranges."""

    villages: tuple[int, int]
    communities: tuple[int, int]
    schools: tuple[int, int]
    companies: tuple[int, int]
    social: tuple[int, int]
    general_share: float  # villages/communities big enough to be a 党总支
    clinic: bool = True


TOWN_PLANS = {
    ("city", "town"): _TownPlan((11, 24), (0, 2), (1, 3), (1, 5), (0, 2), 0.12),
    ("city", "street"): _TownPlan((0, 5), (8, 16), (2, 4), (3, 9), (1, 3), 0.15),
    ("demo", "town"): _TownPlan((2, 3), (0, 0), (1, 1), (0, 0), (0, 0), 0.0, clinic=False),
    ("demo", "street"): _TownPlan((0, 0), (2, 3), (0, 0), (1, 1), (1, 1), 0.0, clinic=False),
}


def _neighbourhoods(rng, node: OrgSpec, codes, names: list[str], kind: str, share: float):
    """A branch for each village or community; a 党总支 over a few for the big ones."""
    sector = Sector.RURAL if kind == "village" else Sector.COMMUNITY
    for name in names:
        if rng.random() < share:
            _general_branch(rng, node, codes, name, sector, _sub_branches(rng, kind))
        else:
            _branch(rng, node, codes, f"{name}党支部", sector)


def _town(rng, scale: str, county: OrgSpec, codes, town: str, demo_branch: bool) -> OrgSpec:
    is_street = town.endswith("街道")
    node = _committee(
        county,
        codes,
        f"{town}党工委" if is_street else f"{town}党委",
        Sector.COMMUNITY if is_street else Sector.RURAL,
    )
    plan = TOWN_PLANS[(scale, "street" if is_street else "town")]
    unit_codes = _Codes(node)
    taken: set[str] = set()
    if demo_branch:
        taken.add("红星")
        _branch(rng, node, unit_codes, DEMO_BRANCH_NAME, Sector.RURAL).category = "五星"
    villages = _village_names(rng, rng.randint(*plan.villages), taken)
    _neighbourhoods(rng, node, unit_codes, villages, "village", plan.general_share)
    communities = _community_names(rng, rng.randint(*plan.communities), taken)
    _neighbourhoods(rng, node, unit_codes, communities, "community", plan.general_share)
    office = "街道办事处" if is_street else "镇政府"
    _branch(rng, node, unit_codes, f"{town}{office}机关党支部", Sector.GOVERNMENT)
    schools = ["中心小学", "初级中学", "中心幼儿园", "第二小学"] if not is_street else SCHOOL_KINDS
    for school in rng.sample(schools[:4], rng.randint(*plan.schools)):
        _branch(rng, node, unit_codes, f"{town}{school}党支部", Sector.SCHOOL, weight=0.7)
    if plan.clinic:
        clinic = "社区卫生服务中心" if is_street else "卫生院"
        _branch(rng, node, unit_codes, f"{town}{clinic}党支部", Sector.PUBLIC_INSTITUTION)
    for _ in range(rng.randint(*plan.companies)):
        _branch(rng, node, unit_codes, f"{_company(rng, taken)}党支部", Sector.PRIVATE_ENTERPRISE)
    for social in rng.sample(SOCIAL_ORGS, rng.randint(*plan.social)):
        _branch(rng, node, unit_codes, f"{town}{social}党支部", Sector.SOCIAL_ORGANIZATION)
    return node


def _bureaus(rng, parent: OrgSpec, codes, prefix: str, bureaus, general_share: float) -> None:
    for bureau, sector in bureaus:
        stem = f"{prefix}{bureau}机关"
        if rng.random() < general_share:
            _general_branch(rng, parent, codes, stem, sector, _sub_branches(rng, "unit"))
        else:
            _branch(rng, parent, codes, f"{stem}党支部", sector)


def _hospital(rng, parent: OrgSpec, codes, name: str) -> None:
    node = _committee(parent, codes, f"{name}党委", Sector.PUBLIC_INSTITUTION)
    dept_codes = _Codes(node)
    for dept in HOSPITAL_DEPTS[: rng.randint(4, 6)]:
        _branch(rng, node, dept_codes, f"{name}{dept}党支部", Sector.PUBLIC_INSTITUTION)


DEMO_COUNTY_UNITS = [
    ("城市建设投资有限公司", Sector.STATE_ENTERPRISE),
    ("融媒体中心", Sector.PUBLIC_INSTITUTION),
    ("人民医院", Sector.PUBLIC_INSTITUTION),
    ("供电分公司", Sector.STATE_ENTERPRISE),
]


def _county_units(rng, scale: str, county: OrgSpec, short: str, like: str = "") -> None:
    """The county's own departments: its organs, schools, hospitals, firms and NGOs.
    Coded county + 9xx so that they never collide with the towns' serials."""
    codes = _Codes(county, start=901)
    organs = _committee(county, codes, f"{short}直属机关工委", Sector.GOVERNMENT)
    organ_codes = _Codes(organs)
    if scale == "demo":
        # Two units a county, so that every sector shows up somewhere in the demo.
        second = DEMO_COUNTY_UNITS[list(DEMO_COUNTIES).index(like or short)]
        for unit, sector in (("财政局机关", Sector.GOVERNMENT), second):
            _branch(rng, organs, organ_codes, f"{short}{unit}党支部", sector)
        return
    _bureaus(rng, organs, organ_codes, short, COUNTY_BUREAUS, general_share=0.2)

    edu = _committee(county, codes, f"{short}教育系统党委", Sector.SCHOOL)
    edu_codes = _Codes(edu)
    for school in SCHOOL_KINDS:
        stem = f"{short}{school}"
        if school.endswith("中学") and rng.random() < 0.5:
            _general_branch(
                rng, edu, edu_codes, stem, Sector.SCHOOL, ["教师第一", "教师第二", "退休教师"]
            )
        else:
            _branch(rng, edu, edu_codes, f"{stem}党支部", Sector.SCHOOL)

    health = _committee(county, codes, f"{short}卫生健康系统党委", Sector.PUBLIC_INSTITUTION)
    health_codes = _Codes(health)
    _hospital(rng, health, health_codes, f"{short}人民医院")
    _hospital(rng, health, health_codes, f"{short}中医医院")
    for unit in ("妇幼保健院", "疾病预防控制中心", "卫生监督所", "中心血站"):
        _branch(rng, health, health_codes, f"{short}{unit}党支部", Sector.PUBLIC_INSTITUTION)

    state = _committee(county, codes, f"{short}国有企业党委", Sector.STATE_ENTERPRISE)
    state_codes = _Codes(state)
    for company in rng.sample(STATE_COMPANIES, rng.randint(5, 9)):
        _branch(rng, state, state_codes, f"{short}{company}党支部", Sector.STATE_ENTERPRISE)

    two_new = _committee(
        county, codes, f"{short}非公有制经济组织和社会组织党委", Sector.PRIVATE_ENTERPRISE
    )
    two_codes = _Codes(two_new)
    taken: set[str] = set()
    for _ in range(rng.randint(35, 70)):
        name = _company(rng, taken)
        _branch(rng, two_new, two_codes, f"{name}党支部", Sector.PRIVATE_ENTERPRISE)
    for social in SOCIAL_ORGS:
        for n in range(rng.randint(1, 2)):
            label = f"{short}{social}" + (NUMBERED[n] if n else "")
            _branch(rng, two_new, two_codes, f"{label}党支部", Sector.SOCIAL_ORGANIZATION)


def _city_units(rng, root: OrgSpec) -> None:
    """The city's own organs and institutions, coded 610700xxx."""
    codes = _Codes(OrgSpec(name="", kind="", sector="", code=f"{root.code}00"))
    organs = _committee(root, codes, "汉中市直属机关工委", Sector.GOVERNMENT)
    organ_codes = _Codes(organs)
    for bureau, sector in CITY_BUREAUS:
        stem = f"汉中市{bureau}"
        gb = _general_branch(rng, organs, organ_codes, f"{stem}机关", sector, [])
        sub_codes = _Codes(gb, width=2)
        for label in NUMBERED[: rng.randint(3, 6)]:
            _branch(rng, gb, sub_codes, f"{stem}机关{label}党支部", sector, weight=0.7)
        _branch(rng, gb, sub_codes, f"{stem}离退休干部党支部", sector, weight=0.5)

    soe = _committee(root, codes, "汉中市国资委党委", Sector.STATE_ENTERPRISE)
    soe_codes = _Codes(soe)
    for company in STATE_COMPANIES:
        node = _committee(soe, soe_codes, f"汉中市{company}党委", Sector.STATE_ENTERPRISE)
        unit_codes = _Codes(node)
        for label in ("机关", "财务", "工程", "运营", "市场", "第一项目部", "第二项目部", "离退休")[
            : rng.randint(5, 8)
        ]:
            _branch(rng, node, unit_codes, f"汉中市{company}{label}党支部", Sector.STATE_ENTERPRISE)

    edu = _committee(root, codes, "汉中市教育工委", Sector.SCHOOL)
    edu_codes = _Codes(edu)
    for university, colleges in (
        ("陕西理工大学", 18),
        ("汉中职业技术学院", 9),
        ("汉中市广播电视大学", 3),
    ):
        node = _committee(edu, edu_codes, f"{university}党委", Sector.SCHOOL)
        college_codes = _Codes(node)
        for n in range(1, colleges + 1):
            _general_branch(
                rng,
                node,
                college_codes,
                f"{university}第{n}学院",
                Sector.SCHOOL,
                ["教工第一", "教工第二", "学生第一", "学生第二", "研究生"][: rng.randint(3, 5)],
            )
    for school in (
        "汉中中学",
        "汉中市龙岗学校",
        "汉中市第一中学",
        "汉中市四〇五学校",
        "汉中市实验中学",
    ):
        _general_branch(
            rng, edu, edu_codes, school, Sector.SCHOOL, ["教师第一", "教师第二", "退休教师"]
        )

    health = _committee(root, codes, "汉中市卫生健康委员会党委", Sector.PUBLIC_INSTITUTION)
    health_codes = _Codes(health)
    for hospital in ("三二〇一医院", "汉中市中心医院", "汉中市中医医院", "汉中市人民医院"):
        node = _committee(health, health_codes, f"{hospital}党委", Sector.PUBLIC_INSTITUTION)
        dept_codes = _Codes(node)
        for dept in (
            "内科第一",
            "内科第二",
            "外科第一",
            "外科第二",
            "医技",
            "护理",
            "行政后勤",
            "离退休",
        ):
            _branch(rng, node, dept_codes, f"{hospital}{dept}党支部", Sector.PUBLIC_INSTITUTION)

    two_new = _committee(
        root, codes, "汉中市非公有制经济组织和社会组织工委", Sector.PRIVATE_ENTERPRISE
    )
    two_codes = _Codes(two_new)
    taken: set[str] = set()
    for _ in range(90):
        _branch(rng, two_new, two_codes, f"{_company(rng, taken)}党支部", Sector.PRIVATE_ENTERPRISE)
    for social in SOCIAL_ORGS:
        _branch(rng, two_new, two_codes, f"汉中市{social}党支部", Sector.SOCIAL_ORGANIZATION)


@dataclass(frozen=True)
class CityPlan:
    """A city to build: its name, code and counties, each county given as (name, region
    code, the Hanzhong county whose towns it takes). Hanzhong is the one planned by hand;
    a province's other cities are built on its pattern (`demodata/province.py`)."""

    name: str
    code: str
    counties: tuple[tuple[str, str, str], ...]


HANZHONG = CityPlan(CITY_NAME, CITY_CODE, tuple((name, code, name) for name, code in COUNTIES))


def build_tree(scale: str, rng: random.Random, city: CityPlan = HANZHONG) -> OrgSpec:
    """The whole tree in memory, root included, codes and membership weights assigned."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    root = OrgSpec(name=city.name, kind=OrgKind.COMMITTEE, sector=Sector.GOVERNMENT, code=city.code)
    for county_name, region, like in city.counties:
        if scale == "demo" and like not in DEMO_COUNTIES:
            continue
        county = root.add(
            OrgSpec(
                name=county_name,
                kind=OrgKind.COMMITTEE,
                sector=Sector.GOVERNMENT,
                code=region,
                region=region,
            )
        )
        towns = TOWNS[like]
        if scale == "demo":
            towns = towns[: DEMO_COUNTIES[like]]
        town_codes = _Codes(county)
        for i, town in enumerate(towns):
            demo_branch = city is HANZHONG and county_name == "汉台区" and i == 0
            _town(rng, scale, county, town_codes, town, demo_branch)
        _county_units(rng, scale, county, county_name, like)
    if scale == "city":
        _city_units(rng, root)
    else:
        # Two 党总支 so that the demo shows the three kinds of organization.
        hantai = root.children[0]
        for town, stem, sub in (
            (hantai.children[1], "北关街道天汉社区", ["第一网格", "第二网格", "第三网格"]),
            (root.children[2].children[1], "龙头镇龙头村", ["第一", "第二", "老党员"]),
        ):
            _general_branch(
                rng, town, _Codes(town, start=len(town.children) + 1), stem, town.sector, sub
            )
    if city.name != CITY_NAME:
        # The pattern's firms and city units carry Hanzhong's name; another city's its own.
        short = city.name.removesuffix("市")
        for spec in root.walk():
            spec.name = spec.name.replace("汉中", short)
    return root


def insert_tree(parent: Organization, specs: list[OrgSpec]) -> int:
    """Bulk-insert `specs` (and their subtrees) as the last children of `parent`, with the
    materialized paths treebeard would have given them: one INSERT per batch instead of
    the read-lock-write round trips of add_child for each of 9,000 nodes."""
    parent = Organization.objects.select_for_update().get(pk=parent.pk)
    last = Organization.objects.get_last_child(parent)
    start = Organization._str2int(last.path[-Organization.steplen :]) if last else 0
    rows: list[Organization] = []

    def walk(path: str, depth: int, children: list[OrgSpec], first_step: int) -> None:
        for step, spec in enumerate(children, start=first_step):
            node_path = Organization._get_path(path, depth, step)
            rows.append(
                Organization(
                    path=node_path,
                    depth=depth,
                    numchild=len(spec.children),
                    name=spec.name,
                    code=spec.code or None,
                    kind=spec.kind,
                    sector=spec.sector,
                    category=spec.category,
                )
            )
            walk(node_path, depth + 1, spec.children, 1)

    walk(parent.path, parent.depth + 1, specs, start + 1)
    insert_organizations(
        actor=None, action="org.create", orgs=rows, added={parent.pk: len(specs)}, at=clock.now()
    )
    return len(rows)
