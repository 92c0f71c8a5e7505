"""The quarterly bulletin (一季一通报): an organization's report on its subtree for a
quarter, generated as a draft, published to the subtree as a notice, and then never
changed. A correction is a new version of the same scope and quarter that names the
version it replaces; the replaced one is marked superseded, its files kept as they were."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import StoredAttachment
from dangjian.registry.models import Organization


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被更正")


class Bulletin(models.Model):
    """One version of the bulletin of `org` for a quarter. `figures` holds what its files
    say (rankings, counts, lists), so that pages and the API show the published figures,
    not figures read again from data that has moved on since."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    version = models.PositiveSmallIntegerField(default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    correction_reason = models.TextField(_("更正原因"), blank=True)
    status = models.CharField(
        max_length=16, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    title = models.CharField(max_length=200)
    figures = models.JSONField(default=dict)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    generated_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The notice to the subtree, sent in the background once published (request_fanout).
    notice_requested_at = models.DateTimeField(null=True, blank=True)
    noticed_at = models.DateTimeField(null=True, blank=True)
    notified_members = models.PositiveIntegerField(default=0)

    notice_kind = "bulletin"

    class Meta:
        ordering = ["-year", "-quarter", "org__path", "-version"]
        indexes = [models.Index(fields=["org", "year", "quarter"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BulletinStatus.values), name="bulletin_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="bulletin_quarter_valid"
            ),
            models.UniqueConstraint(
                fields=["org", "year", "quarter", "version"], name="bulletin_version_unique"
            ),
            # One published version per scope and quarter, and one draft being prepared.
            models.UniqueConstraint(
                fields=["org", "year", "quarter"],
                condition=Q(status="published"),
                name="bulletin_one_published",
            ),
            models.UniqueConstraint(
                fields=["org", "year", "quarter"],
                condition=Q(status="draft"),
                name="bulletin_one_draft",
            ),
            # The first version replaces nothing; every later one replaces a version and
            # says why.
            models.CheckConstraint(
                condition=Q(version=1, replaces__isnull=True)
                | (Q(version__gt=1, replaces__isnull=False) & ~Q(correction_reason="")),
                name="bulletin_correction_replaces",
            ),
            models.CheckConstraint(
                condition=~Q(replaces=F("pk")), name="bulletin_not_replacing_itself"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="bulletin_published_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="superseded") | Q(superseded_at__isnull=False),
                name="bulletin_superseded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period_label(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def is_draft(self) -> bool:
        return self.status == BulletinStatus.DRAFT

    @property
    def dedupe_key(self) -> str:
        return f"{self.notice_kind}:{self.pk}"


class BulletinFileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


class BulletinFile(StoredAttachment):
    """A bulletin's PDF or workbook, with the SHA-256 of its bytes taken when it was
    written: a published bulletin's files are checked against it before they are served."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=8, choices=BulletinFileKind.choices)
    file = models.FileField(upload_to="bulletins/%Y/", max_length=200)
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "kind"], name="bulletinfile_one_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=BulletinFileKind.values), name="bulletinfile_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="bulletinfile_sha256_hex"
            ),
        ]
