"""Who takes part: citizens (群众) who order services, the service menu they order from,
and members' volunteer profiles (党员特长库, and the community they report to: 双报到)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.registry.models import Member, Organization


class Citizen(models.Model):
    """A resident with an account (phone + SMS code, no password) who orders services. The
    account's `name` is the citizen's name. A citizen is never a member's account's twin:
    they reach nothing of the Party organizations (dangjian.permissions)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citizen"
    )
    # A village or community organization (volunteering.rules.is_community).
    community = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("住址"), max_length=200)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["community"], name="citizen_community")]

    def __str__(self) -> str:
        return self.user.name


class ServiceCategory(models.Model):
    """An entry of a county's or a community's service menu (送技能, 送服务, 送健康, 微心愿,
    …). A community's menu is its own entries and those of the organizations above it."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("服务类别"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    # The skills a volunteer needs for it, as short labels (["理发", "家电维修"]).
    skills = models.JSONField(_("所需技能"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="service_category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerProfile(models.Model):
    """A member's entry in the specialty database: skills, when they are available, and the
    residential community they report to (双报到) besides their branch."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="volunteer_profile"
    )
    community = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    skills = models.JSONField(_("特长"), default=list, blank=True)
    availability = models.CharField(_("可服务时间"), max_length=200, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["community"], name="volunteer_profile_community")]
        constraints = [
            # Reporting to a community is dated; no date without one.
            models.CheckConstraint(
                condition=Q(community__isnull=True, reported_at__isnull=True)
                | Q(community__isnull=False, reported_at__isnull=False),
                name="volunteer_profile_reported_with_community",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.community_id}"
