from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """Who did what to which object, when, with the values before and after.

    `org` is the organization the object belongs to, so that an admin sees exactly the
    entries of their subtree (the same prefix match as every other scoped list)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=80)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200)
    org = models.ForeignKey(
        "registry.Organization", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["org", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_label}"
