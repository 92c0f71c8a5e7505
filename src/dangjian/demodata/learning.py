"""The demo's 学习 columns: a few published articles in each, through the real services
(drafted, submitted, published by another admin). The city's are written by an editor
account of the organization department that has no password (nobody signs in with it) and
published by the city admin; 汉台区's county news by its admin, published by the city admin,
so that they reach 汉台区's members only."""

from dangjian.learning import services
from dangjian.learning.models import Article
from dangjian.registry import services as registry
from dangjian.registry.models import Organization, User

EDITOR_PHONE = "13900000009"
EDITOR_NAME = "市委组织部宣传编辑"


def _body(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


# (column code, publisher: "city" or "county", title, source, body)
ARTICLES = [
    (
        "party_news",
        "city",
        "市委召开常委会议 研究部署基层党建重点任务",
        "汉中日报",
        _body(
            "市委常委会议强调，要坚持大抓基层的鲜明导向，把党支部建设成为坚强战斗堡垒。",
            "会议要求，各级党组织要认真落实主题党日制度，规范“三会一课”，"
            "推动党员教育管理常态化、制度化，做到活动有计划、过程有记录、效果有评价。",
            "会议指出，要用好智慧党建云平台，让数据多跑路、基层少跑腿，"
            "切实减轻基层负担，把更多精力用在服务群众上。",
        ),
    ),
    (
        "party_news",
        "city",
        "全市组织部长会议召开",
        "市委组织部",
        _body(
            "会议总结了全年组织工作，部署了明年重点任务。",
            "会议强调，要持续深化党建引领基层治理，"
            "扎实推进软弱涣散基层党组织整顿，以高质量党建引领高质量发展。",
        ),
    ),
    (
        "policy",
        "city",
        "关于进一步规范党费收缴工作的通知",
        "市委组织部",
        _body(
            "各级党组织要严格按照党费收缴标准，按月足额收缴党费，不得以任何理由减免或代缴。",
            "党员应当每月主动向所在党支部交纳党费；流动党员可通过线上方式按时交纳，"
            "党支部要做好登记和公示。",
            "党费收缴情况纳入党支部年度考核，每季度在支部内公开一次。",
        ),
    ),
    (
        "policy",
        "city",
        "党员教育管理工作条例要点解读",
        "共产党员网",
        _body(
            "条例对党员教育的内容、方式、管理监督作出了系统规定。",
            "党员每年集中学习培训时间一般不少于32学时，基层党组织书记和班子成员"
            "每年集中学习培训时间不少于56学时。",
            "要注重运用信息化手段开展党员教育，推动线上线下融合。",
        ),
    ),
    (
        "party_knowledge",
        "city",
        "“三会一课”是什么",
        "党务知识问答",
        _body(
            "“三会一课”是指定期召开支部党员大会、支部委员会、党小组会，按时上好党课。",
            "支部党员大会一般每季度召开一次，支部委员会一般每月召开一次，"
            "党小组会一般每月召开一次，党课一般每季度至少一次。",
        ),
    ),
    (
        "party_knowledge",
        "city",
        "入党誓词",
        "中国共产党章程",
        _body(
            "我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，"
            "执行党的决定，严守党的纪律，保守党的秘密，对党忠诚，积极工作，"
            "为共产主义奋斗终身，随时准备为党和人民牺牲一切，永不叛党。"
        ),
    ),
    (
        "county_news",
        "county",
        "汉台区开展“党员进社区”志愿服务活动",
        "汉台区委组织部",
        _body(
            "近日，汉台区组织在职党员到居住地社区报到，参与环境整治、政策宣传、"
            "关爱老人等志愿服务。",
            "活动中，党员们亮身份、作表率，累计服务群众两千余人次。",
        ),
    ),
    (
        "county_news",
        "county",
        "汉台区推行主题党日“线上签到”",
        "汉台区委组织部",
        _body(
            "汉台区各党支部在主题党日活动中全面推行扫码签到、签退，"
            "活动照片和心得体会同步上传，上级党组织可在线查看、评分。",
            "流动党员在外地也能在线参加本支部活动、发表心得。",
        ),
    ),
    (
        "cases",
        "city",
        "红星村党支部：“支部+合作社”带富一方",
        "典型经验",
        _body(
            "红星村党支部牵头成立茶叶专业合作社，党员带头入股、带头示范，"
            "带动全村一百余户群众增收。",
            "支部坚持每月主题党日与产业发展相结合，把党员培养成致富能手，把致富能手培养成党员。",
        ),
    ),
    (
        "cases",
        "city",
        "社区党委“红色物业”破解小区治理难题",
        "典型经验",
        _body(
            "社区党委推动物业企业成立党支部，建立社区、业委会、物业三方联席会议制度，"
            "小区矛盾纠纷就地化解。",
        ),
    ),
]


def editor_account(city_admin: User, root: Organization) -> User:
    editor = User.objects.filter(phone=EDITOR_PHONE).first()
    if editor is None:
        editor = User.objects.create_user(phone=EDITOR_PHONE, name=EDITOR_NAME, password=None)
    registry.grant_admin(actor=city_admin, org=root, user=editor)
    return editor


def seed_articles(*, root: Organization, county: Organization, city_admin: User) -> int:
    """Publish the demo's articles once; a second run changes nothing. Returns how many
    were published."""
    if Article.objects.filter(org__path__startswith=root.path).exists():
        return 0
    county_admin = User.objects.get(phone="13900000002")
    editor = editor_account(city_admin, root)
    columns = services.ensure_default_columns()
    for code, publisher, title, source, body in reversed(ARTICLES):
        org, author = (root, editor) if publisher == "city" else (county, county_admin)
        article = services.create_article(
            actor=author, org=org, column=columns[code], title=title, body=body, source=source
        )
        services.submit_article(actor=author, article=article)
        services.publish_article(actor=city_admin, article=article)
    return len(ARTICLES)
