"""The demo's study package for the current month (学习套餐): a small question bank of the
city, a quiz drawn from it, and a package of the city's published articles with that quiz,
through the real services. Seeded once a month; a second run changes nothing."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from dangjian.core import clock
from dangjian.learning import packages, quiz_bank, quiz_services
from dangjian.learning.models import (
    Article,
    ArticleStatus,
    QuestionCategory,
    StudyPackage,
)
from dangjian.learning.quiz_bank import QuestionContent
from dangjian.registry.models import Organization, User

CATEGORY = "党章党规"
QUESTIONS = [
    QuestionContent(
        kind="true_false",
        stem="党的最高领导机关是党的全国代表大会和它所产生的中央委员会。",
        truth=True,
    ),
    QuestionContent(kind="true_false", stem="党员可以不参加党的组织生活。", truth=False),
    QuestionContent(kind="true_false", stem="党员应当按照规定按期交纳党费。", truth=True),
    QuestionContent(
        kind="single",
        stem="中国共产党的根本宗旨是？",
        options=["全心全意为人民服务", "发展经济", "加强纪律", "扩大开放"],
        correct=["A"],
    ),
    QuestionContent(
        kind="single",
        stem="党支部一般每月相对固定一天开展？",
        options=["主题党日", "运动会", "联欢会", "招聘会"],
        correct=["A"],
    ),
    QuestionContent(
        kind="multiple",
        stem="“三会一课”中的“三会”包括？",
        options=["支部党员大会", "支部委员会", "党小组会", "职工代表大会"],
        correct=["A", "B", "C"],
    ),
]
DRAWN = 5
ARTICLES = 3


def seed_package(*, root: Organization, city_admin: User) -> bool:
    """Publish this month's package of the city, once. Returns whether it was made."""
    month = clock.today().replace(day=1)
    if StudyPackage.objects.filter(org=root, month=month, parent__isnull=True).exists():
        return False
    articles = list(
        Article.objects.filter(org=root, status=ArticleStatus.PUBLISHED).order_by(
            "-published_at", "-id"
        )[:ARTICLES]
    )
    if not articles:
        return False
    category = QuestionCategory.objects.filter(org=root, name=CATEGORY).first()
    if category is None:
        category = quiz_bank.create_category(actor=city_admin, org=root, name=CATEGORY)
        for content in QUESTIONS:
            quiz_bank.create_question(actor=city_admin, category=category, content=content)
    publish_month_package(
        city_admin=city_admin,
        root=root,
        month=month,
        articles=articles,
        draws=[quiz_services.CategoryDraw(category, DRAWN, 20)],
        opens_at=timezone.make_aware(datetime.combine(month, time.min)),
        closes_at=timezone.make_aware(datetime.combine(_next_month(month), time.min)),
        time_limit=timedelta(minutes=20),
    )
    return True


def publish_month_package(
    *,
    city_admin: User,
    root: Organization,
    month,
    articles: list[Article],
    draws: list[quiz_services.CategoryDraw],
    opens_at: datetime,
    closes_at: datetime,
    time_limit: timedelta,
) -> StudyPackage:
    """The city's quiz and package of `month`, both published: this month's and each month
    of the demo's year of history (`learning_history`) read alike."""
    quiz = quiz_services.create_quiz(
        actor=city_admin,
        org=root,
        title=f"{month:%Y年%m月}学习测试",
        opens_at=opens_at,
        closes_at=closes_at,
        time_limit=time_limit,
        attempts_allowed=3,
        draws=draws,
    )
    quiz = quiz_services.publish_quiz(actor=city_admin, quiz=quiz)
    package = packages.create_package(
        actor=city_admin,
        org=root,
        month=month,
        title=f"{month:%Y年%m月}学习套餐",
        description="本月必学文章和学习测试，请按时完成。",
        articles=articles,
        quiz=quiz,
    )
    return packages.publish_package(actor=city_admin, package=package)


def _next_month(month):
    return (month + timedelta(days=32)).replace(day=1)
