"""The question bank, quizzes and members' attempts at them (docs/product.md, "Learning";
issue 19, points 4 to 6).

A question keeps its identity (`Question`) while its content lives in immutable versions
(`QuestionVersion`): once a version has been given in an attempt, an edit makes a new one,
so an attempt is always marked and reviewed against the text its member saw. An attempt's
paper (the versions drawn, their points and option order) is stored with it as one
`AttemptAnswer` row per question, which also carries the answer saved and its version."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.learning.grading import GradingMethod, QuestionType
from dangjian.learning.timing import ReviewPolicy
from dangjian.registry.models import Member, Organization

QUESTION_TYPES = [
    (QuestionType.SINGLE.value, _("单选题")),
    (QuestionType.MULTIPLE.value, _("多选题")),
    (QuestionType.TRUE_FALSE.value, _("判断题")),
    (QuestionType.FILL_IN.value, _("填空题")),
]
GRADING_METHODS = [
    (GradingMethod.HIGHEST.value, _("最高分")),
    (GradingMethod.LAST.value, _("最后一次")),
    (GradingMethod.FIRST.value, _("第一次")),
    (GradingMethod.MEAN.value, _("平均分")),
]
REVIEW_POLICIES = [
    (ReviewPolicy.AFTER_SUBMISSION.value, _("交卷后公布答案")),
    (ReviewPolicy.AFTER_CLOSE.value, _("测试结束后公布答案")),
]


class QuestionCategory(models.Model):
    """A category of an organization's question bank; its admins (and those above) keep
    it. Quizzes draw N questions per category."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("分类名称"), max_length=50)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="question_category_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="question_category_named"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A question's lasting identity: its category, its current version, and how many
    attempts have been given it (`uses`, what "least used first" counts). Retired rather
    than deleted, since old attempts point at its versions."""

    category = models.ForeignKey(
        QuestionCategory, on_delete=models.PROTECT, related_name="questions"
    )
    current = models.ForeignKey(
        "QuestionVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    uses = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["category", "is_active"], name="question_category_active")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class QuestionVersion(models.Model):
    """One question's content, never changed once an attempt has been given it. `options`
    is [{"key", "text"}] in the bank's order; `correct` the right keys (choice questions),
    `truth` the answer of a true/false one, `accepted` the accepted texts of a fill-in."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=QUESTION_TYPES)
    stem = models.TextField()
    options = models.JSONField(default=list, blank=True)
    correct = models.JSONField(default=list, blank=True)
    truth = models.BooleanField(null=True, blank=True)
    accepted = models.JSONField(default=list, blank=True)
    partial_credit = models.BooleanField(default=False)
    explanation = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="question_version_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=[k for k, _label in QUESTION_TYPES]),
                name="question_version_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(stem=""), name="question_version_stem_set"),
            models.CheckConstraint(
                condition=Q(partial_credit=False) | Q(kind=QuestionType.MULTIPLE.value),
                name="question_version_partial_multiple",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.question_id} v{self.number}"


class QuizStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Quiz(models.Model):
    """A quiz an organization sets for its subtree (reached as its articles are): fixed
    questions (`QuizQuestion`), a random draw per category (`QuizDrawRule`), or both; its
    window, time limit, attempts allowed, grading method, pass mark and review policy."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("测试名称"), max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=QuizStatus.choices, default=QuizStatus.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    time_limit = models.DurationField(null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(null=True, blank=True)
    grading_method = models.CharField(
        max_length=16, choices=GRADING_METHODS, default=GradingMethod.HIGHEST.value
    )
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, default=60)
    shuffle_options = models.BooleanField(default=True)
    review_policy = models.CharField(
        max_length=20, choices=REVIEW_POLICIES, default=ReviewPolicy.AFTER_SUBMISSION.value
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"], name="quiz_org_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="quiz_title_set"),
            models.CheckConstraint(
                condition=Q(status__in=QuizStatus.values), name="quiz_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="quiz_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="quiz_pass_mark_percent"
            ),
            models.CheckConstraint(
                condition=Q(attempts_allowed__isnull=True) | Q(attempts_allowed__gte=1),
                name="quiz_attempts_allowed_positive",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="quiz_published_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    """A question every attempt at the quiz is given (its current version at the start)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="fixed_questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "question"], name="quiz_question_once"),
            models.CheckConstraint(condition=Q(points__gte=1), name="quiz_question_points"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}:{self.question_id}"


class QuizDrawRule(models.Model):
    """Draw `count` questions of a category, each worth `points`, for every attempt."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="draw_rules")
    category = models.ForeignKey(QuestionCategory, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    count = models.PositiveSmallIntegerField()
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="quiz_draw_count_positive"),
            models.CheckConstraint(condition=Q(points__gte=1), name="quiz_draw_points"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}:{self.category_id}×{self.count}"


class AttemptEnd(models.TextChoices):
    SUBMITTED = "submitted", _("交卷")
    DEADLINE = "deadline", _("到时自动交卷")


class Attempt(models.Model):
    """A member's attempt at a quiz, on the server's clock: started, due by `deadline`
    (min(start + time limit, close); none when the quiz has neither), finished by the
    member's submission or at the deadline, and then marked. `seed` drew its paper and
    orders its options; the paper itself is stored in its `AttemptAnswer` rows."""

    # No index of their own: attempt_quiz_member and attempt_number_unique lead with them,
    # and each index is one more entry every start and submission writes.
    quiz = models.ForeignKey(
        Quiz, on_delete=models.PROTECT, related_name="attempts", db_index=False
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    number = models.PositiveSmallIntegerField()
    seed = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, choices=AttemptEnd.choices, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    grade = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "member", "number"]
        indexes = [
            # The scheduled finisher's search: unfinished attempts by deadline.
            models.Index(
                fields=["deadline"],
                condition=Q(finished_at__isnull=True),
                name="attempt_open_deadline",
            ),
            models.Index(fields=["quiz", "member"], name="attempt_quiz_member"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "quiz", "number"], name="attempt_number_unique"
            ),
            # A double tap on "start" resumes the attempt in progress, never opens a second.
            models.UniqueConstraint(
                fields=["member", "quiz"],
                condition=Q(finished_at__isnull=True),
                name="attempt_one_in_progress",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gte=F("started_at")),
                name="attempt_deadline_after_start",
            ),
            # Finished, ended one way and marked, or none of these.
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, ended_by="", grade__isnull=True)
                | Q(
                    finished_at__isnull=False,
                    ended_by__in=AttemptEnd.values,
                    grade__isnull=False,
                    score__isnull=False,
                    passed__isnull=False,
                ),
                name="attempt_finished_marked",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="attempt_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}/{self.member_id}#{self.number}"


class AttemptAnswer(models.Model):
    """One question of an attempt's paper (the version given, its points and the order of
    its options) and the member's answer to it: the answer JSON, the save's `version`
    (0 before the first save; see timing.answer_save) and when it was saved; `score` once
    the attempt is marked."""

    # No index of its own: the two unique keys lead with it (as for Attempt's keys).
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    question_version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, related_name="answers"
    )
    position = models.PositiveSmallIntegerField()
    points = models.PositiveSmallIntegerField(default=1)
    option_order = models.JSONField(default=list, blank=True)
    answer = models.JSONField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_once"),
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_position_once"),
            models.CheckConstraint(
                condition=Q(version=0) | Q(saved_at__isnull=False),
                name="attempt_answer_saved_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.question_id}"
