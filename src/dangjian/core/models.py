"""Abstract models: the columns that several apps' models share because one piece of core
code reads or writes them. They make no table of their own."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredAttachment(models.Model):
    """An uploaded document as core.files keeps it (store_attachment) and hands it back
    (attachment_response): the name it is shown under, its sniffed type and size. Each
    model declares its owner and its `file` (where it is stored)."""

    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """A step in a record's history (a plan's, a rectification's): who took it and when,
    read oldest first. Each model declares its subject and what the step says."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class MonthlyIssue(models.Model):
    """What an organization issues for a month to its subtree and sends to every member in
    one click (a theme-day campaign, a study package): its month, and the notices it sent,
    of its `notice_kind` and one per member (by `dedupe_key`), counted when the run ends."""

    notice_kind: str  # set by each model

    month = models.DateField(_("月份"), help_text="First day of the month")
    notified_members = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def dedupe_key(self) -> str:
        return f"{self.notice_kind}:{self.pk}"
