"""Abstract models: the columns that several apps' models share because one piece of core
code reads or writes them. They make no table of their own."""

from django.conf import settings
from django.db import models


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
