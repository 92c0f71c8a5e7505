from celery import shared_task
from django.db import transaction

from dangjian import celery
from dangjian.core import clock
from dangjian.notifications import channels, retries
from dangjian.notifications.models import OutboundBatch, OutboundStatus

MAX_ATTEMPTS = 7
# A batch whose next attempt is this late was never queued (Redis was down when it was
# created or retried) or its task was lost: the scheduled sweep (deliver_due) sends it.
DUE_GRACE_SECONDS = 120


def backoff_seconds(attempts: int) -> int:
    # 30 s, 1, 2, 4, 8, 16 min: a gateway outage of half an hour is survived.
    return 30 * 2 ** (attempts - 1)


@shared_task(acks_late=True)
def deliver_outbound(batch_id: int) -> str:
    """One delivery attempt; a failure schedules the next with exponential backoff. The
    attempt count lives on the batch row, so retries survive worker restarts and behave the
    same when tasks run eagerly (the embedded default retries at once). The row is locked
    for the attempt: the queued task and the sweep never send a batch twice at once."""
    with transaction.atomic():
        batch = (
            OutboundBatch.objects.select_for_update(skip_locked=True)
            .filter(pk=batch_id, status=OutboundStatus.PENDING)
            .first()
        )
        if batch is None:
            return "skipped"
        batch.attempts += 1
        try:
            channels.get(batch.channel).send(batch.payload["notices"])
        except channels.ChannelError as exc:
            final = batch.attempts >= MAX_ATTEMPTS
            batch.status = OutboundStatus.FAILED if final else OutboundStatus.PENDING
            batch.last_error = str(exc)[:2000]
            batch.save(update_fields=["attempts", "status", "last_error"])
            if not final:
                countdown = backoff_seconds(batch.attempts)
                transaction.on_commit(
                    lambda: celery.send(deliver_outbound, (batch_id,), countdown=countdown)
                )
            return "failed" if final else "retrying"
        batch.status = OutboundStatus.SENT
        batch.sent_at = clock.now()
        batch.last_error = ""
        batch.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return "sent"


def deliver_due() -> int:
    """Scheduled safety net: attempt the pending batches whose next attempt is overdue
    (their task never reached the broker, or was lost with it). How late a batch is comes
    from its creation and its attempts so far (the backoff between them)."""
    return retries.sweep(
        OutboundBatch,
        deliver_outbound,
        max_attempts=MAX_ATTEMPTS,
        backoff_seconds=backoff_seconds,
        grace=DUE_GRACE_SECONDS,
    )


@shared_task
def deliver_due_outbound() -> int:
    return deliver_due()


# The SMS tasks live beside their backends; imported here so that a worker registers them.
from dangjian.notifications.sms import (  # noqa: E402, F401
    deliver_due_sms,
    deliver_sms,
    deliver_sms_batch,
)
from dangjian.notifications.wechat import (  # noqa: E402, F401
    deliver_due_wechat,
    deliver_wechat,
    deliver_wechat_many,
)
