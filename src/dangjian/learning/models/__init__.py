"""The learning app's data (docs/product.md, "Learning"): columns, articles and their
reading records (`articles`); the question bank, quizzes and attempts (`quizzes`); the
monthly study package (`packages`); one module per part, re-exported here."""

from dangjian.learning.models.articles import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    Column,
    Reading,
)
from dangjian.learning.models.packages import PackageArticle, PackageStatus, StudyPackage
from dangjian.learning.models.quizzes import (
    Attempt,
    AttemptAnswer,
    AttemptEnd,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizDrawRule,
    QuizQuestion,
    QuizStatus,
)

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleStatus",
    "Attempt",
    "AttemptAnswer",
    "AttemptEnd",
    "Column",
    "PackageArticle",
    "PackageStatus",
    "Question",
    "QuestionCategory",
    "QuestionVersion",
    "Quiz",
    "QuizDrawRule",
    "QuizQuestion",
    "QuizStatus",
    "Reading",
    "StudyPackage",
]
