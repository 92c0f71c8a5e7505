from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """An in-app notice in a user's inbox. Outbound channels (webhook to a WeChat/SMS
    gateway, log) are extra: whatever happens to them, this row stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    # Makes sending idempotent: one notice per user and key (e.g. "campaign:12").
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The month the table is partitioned by on PostgreSQL (core.partitions): the UTC month
    # of a notice without a key; for a notice with one, the month its key was first sent in
    # (`DedupeMonth`), so that every retry or resumed push of the key writes the same month
    # and unique (user, dedupe_key, month) stays as strict as unique (user, dedupe_key).
    month = models.DateField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["dedupe_key"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key", "month"],
                condition=~Q(dedupe_key=""),
                name="notification_unique_dedupe_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class DedupeMonth(models.Model):
    """The month a dedupe key's notices are kept in: written once, by the first push of the
    key (INSERT … ON CONFLICT DO NOTHING, then read back), so that a retry, a resumed push or
    a concurrent one in a later month still finds the month of the first. One row a key,
    not a recipient."""

    dedupe_key = models.CharField(max_length=100, unique=True)
    month = models.DateField()

    def __str__(self) -> str:
        return f"{self.dedupe_key}: {self.month:%Y-%m}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Outbound(models.Model):
    """A delivery to an outbound channel as notifications.retries handles it: its state,
    the attempts so far and the last error, when it was made (the sweep of overdue ones
    counts from it) and when it was sent. Each model adds what it delivers."""

    status = models.CharField(
        max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class OutboundBatch(Outbound):
    """A batch of notices handed to one outbound channel, with its delivery state, so that a
    failed gateway can be retried (with backoff) and inspected."""

    channel = models.CharField(max_length=40)
    payload = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} batch {self.pk} ({self.status})"


class SmsMessage(Outbound):
    """One text message to one phone, the outbox of the SMS backend (notifications.sms):
    queued, sent in the background with retries, its status and last error kept so that a
    failure is visible. `params` holds what fills the provider's template; a verification
    code in it is blanked once the message is sent or given up, unless the demo shows the
    outbox (SMS_DEMO_OUTBOX)."""

    phone = models.CharField(max_length=11)
    template = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    text = models.CharField(max_length=300)
    backend = models.CharField(max_length=40)
    provider_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Who got an invitation today: each batch asks it of a thousand phones.
            models.Index(fields=["phone", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.status})"


class SmsCodePurpose(models.TextChoices):
    ACTIVATE = "activate", "activate"
    RESET = "reset", "reset"
    # A citizen's (群众) sign-in, which registers a phone new to the platform
    # (volunteering.services.sign_in_citizen).
    CITIZEN = "citizen", "citizen"


class SmsCode(models.Model):
    """A verification code asked for a phone (registry.activation). Only its keyed hash is
    kept. A request for a phone that has no account, or that may not use the purpose, is
    recorded too (without `user`, no message sent), so that the send limits answer the
    same whether the phone is registered or not."""

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=16, choices=SmsCodePurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "created_at"]),
            models.Index(fields=["client_ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class WechatMessage(Outbound):
    """One WeChat template message to one bound account (notifications.wechat): made from a
    notice by the `wechat` channel, sent in the background with retries. The unique key
    (user, notice_key) makes a notice reach a recipient's WeChat at most once, however often
    its batch is delivered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notice_key = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)
    openid = models.CharField(max_length=64)
    template_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    url = models.CharField(max_length=500, blank=True)
    msgid = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "notice_key"], name="wechat_message_unique_notice"
            )
        ]

    def __str__(self) -> str:
        return f"WeChat message {self.pk} ({self.status})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class Job(models.Model):
    """A long piece of background work one person started (a distribution, an import, an
    export, a report): how far it has come (`done` of `total` steps) while it runs, then its
    summary and where its result is. Written by notifications.jobs, each step by an UPDATE
    of its own, so that a page polling it sees the steps while the work runs. `subject` names
    what the work is about ("distribution:12"), so that a resumed run finds its job."""

    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(
        "registry.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=300, blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "created_at"]),
            models.Index(fields=["subject", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
