from celery import shared_task

from dangjian.core import clock
from dangjian.notifications import channels
from dangjian.notifications.models import OutboundBatch, OutboundStatus

MAX_ATTEMPTS = 7


def backoff_seconds(attempts: int) -> int:
    # 30 s, 1, 2, 4, 8, 16 min: a gateway outage of half an hour is survived.
    return 30 * 2 ** (attempts - 1)


@shared_task(acks_late=True)
def deliver_outbound(batch_id: int) -> str:
    """One delivery attempt; a failure schedules the next with exponential backoff. The
    attempt count lives on the batch row, so retries survive worker restarts and behave the
    same when tasks run eagerly (the embedded default retries at once)."""
    batch = OutboundBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != OutboundStatus.PENDING:
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
            deliver_outbound.apply_async((batch_id,), countdown=backoff_seconds(batch.attempts))
        return "failed" if final else "retrying"
    batch.status = OutboundStatus.SENT
    batch.sent_at = clock.now()
    batch.last_error = ""
    batch.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return "sent"
