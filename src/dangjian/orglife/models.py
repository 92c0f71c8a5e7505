"""Organization life's records (issue 21, point 1): the evidence that each required item of
a held theme day was done, and the Party dues register (each member's dues base for a year
and what they paid each month)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.interaction.models import Photo
from dangjian.learning.models import StudyPackage
from dangjian.registry.models import Member, Organization
from dangjian.themedays.items import RequiredItem
from dangjian.themedays.models import Activity


class ItemEvidence(models.Model):
    """A required item of a held activity, marked done or not, with what shows it: the text
    (minutes, what was read or disclosed), a deliberation's matters and decisions, photos of
    the activity, the month's study package. The dues item's evidence is the dues register
    itself (`DuesRecord`), read when it is marked."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="item_evidence")
    item = models.CharField(_("规定动作"), max_length=16, choices=RequiredItem.choices)
    is_done = models.BooleanField(_("已完成"), default=False)
    text = models.TextField(_("记录"), blank=True)
    matters = models.TextField(_("议事事项"), blank=True)
    decisions = models.TextField(_("议定结果"), blank=True)
    package = models.ForeignKey(
        StudyPackage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    photos = models.ManyToManyField(Photo, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "item"], name="itemevidence_once"),
            models.CheckConstraint(
                condition=Q(item__in=RequiredItem.values), name="itemevidence_item_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.item}"


class DuesCategory(models.TextChoices):
    """Which row of the rate table a member's dues follow (orglife.rates)."""

    EMPLOYED = "employed", _("在职")
    RETIRED = "retired", _("离退休")
    STUDENT = "student", _("学生")
    HARDSHIP = "hardship", _("生活困难")


class PayMethod(models.TextChoices):
    CASH = "cash", _("现金")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    BANK = "bank", _("银行转账")
    PAYROLL = "payroll", _("工资代扣")


class DuesBase(models.Model):
    """A member's dues for a year (党费基数, set once a year): their category, the monthly
    income it is computed from, and the monthly amount the rate table of `table_version`
    gave."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_bases")
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("类别"), max_length=16, choices=DuesCategory.choices)
    monthly_income = models.DecimalField(
        _("月收入基数"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    monthly_amount = models.DecimalField(_("每月应交"), max_digits=8, decimal_places=2)
    table_version = models.CharField(max_length=16)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["member_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="duesbase_once_a_year"),
            models.CheckConstraint(
                condition=Q(category__in=DuesCategory.values), name="duesbase_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="duesbase_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(monthly_income__isnull=True) | Q(monthly_income__gte=0),
                name="duesbase_income_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}: {self.monthly_amount}"


class DuesRecord(models.Model):
    """What a member paid for a month, to the branch that took it (the branch keeps the
    register; a member who moves leaves their past months with the old branch)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_records")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("所属月份"), help_text="First day of the month")
    amount = models.DecimalField(_("金额"), max_digits=8, decimal_places=2)
    paid_at = models.DateTimeField(_("缴纳时间"))
    method = models.CharField(_("缴纳方式"), max_length=16, choices=PayMethod.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "member_id"]
        indexes = [models.Index(fields=["branch", "month"])]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="duesrecord_once_a_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="duesrecord_amount_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="duesrecord_month_first_day"),
            models.CheckConstraint(
                condition=Q(method__in=PayMethod.values), name="duesrecord_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}: {self.amount}"
