"""A question bank and quizzes for the quiz tests, made through the real services: the
city's bank (categories of true/false, single and multiple choice questions) and quizzes
reaching every member or one county."""

from datetime import timedelta

from dangjian.learning import quiz_bank, quiz_services
from dangjian.learning.quiz_bank import QuestionContent
from tests.learning.articles import NOW


def category(world, name="党章党规", org=None, admin=None):
    return quiz_bank.create_category(
        actor=admin or world.city_admin, org=org or world.city, name=name
    )


def true_false(world, cat, stem="党的最高领导机关是党的全国代表大会。", truth=True):
    return quiz_bank.create_question(
        actor=world.city_admin,
        category=cat,
        content=QuestionContent(kind="true_false", stem=stem, truth=truth),
    )


def single(world, cat, stem="党的根本宗旨是？", correct="A"):
    return quiz_bank.create_question(
        actor=world.city_admin,
        category=cat,
        content=QuestionContent(
            kind="single",
            stem=stem,
            options=["全心全意为人民服务", "发展经济", "加强纪律"],
            correct=[correct],
        ),
    )


def multiple(world, cat, stem="“四个意识”包括？", partial=False):
    return quiz_bank.create_question(
        actor=world.city_admin,
        category=cat,
        content=QuestionContent(
            kind="multiple",
            stem=stem,
            options=["政治意识", "大局意识", "核心意识", "看齐意识", "市场意识"],
            correct=["A", "B", "C", "D"],
            partial_credit=partial,
        ),
    )


def bank(world, n=5, name="党章党规"):
    """A category of `n` true/false questions, all true."""
    cat = category(world, name)
    return cat, [true_false(world, cat, stem=f"判断题{i}") for i in range(n)]


def quiz(world, *, questions=(), draws=(), publish=True, org=None, **terms):
    """A quiz of the city (or `org`) open from NOW − 1 h to NOW + 1 day, 30 minutes a try."""
    terms = {
        "opens_at": NOW - timedelta(hours=1),
        "closes_at": NOW + timedelta(days=1),
        "time_limit": timedelta(minutes=30),
        **terms,
    }
    made = quiz_services.create_quiz(
        actor=world.city_admin,
        org=org or world.city,
        title="十二月学习测试",
        questions=[quiz_services.FixedQuestion(q, p) for q, p in questions],
        draws=[quiz_services.CategoryDraw(c, n, p) for c, n, p in draws],
        **terms,
    )
    if publish:
        made = quiz_services.publish_quiz(actor=world.city_admin, quiz=made)
    return made
