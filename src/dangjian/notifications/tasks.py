from celery import shared_task

from dangjian.notifications import channels, retries
from dangjian.notifications.models import OutboundBatch

# 30 s, 1, 2, 4, 8, 16 min: a gateway outage of half an hour is survived. A batch whose
# next attempt is two minutes late was never queued (Redis was down when it was created or
# retried) or its task was lost: the scheduled sweep (deliver_due) sends it.
RETRIES = retries.Policy(max_attempts=7, first_backoff_seconds=30, grace_seconds=120)


@shared_task(acks_late=True)
def deliver_outbound(batch_id: int) -> str:
    """One delivery attempt; a failure schedules the next with exponential backoff. The
    attempt count lives on the batch row, so retries survive worker restarts and behave the
    same when tasks run eagerly (the embedded default retries at once)."""
    return retries.attempt(
        OutboundBatch,
        batch_id,
        lambda batch: channels.get(batch.channel).send(batch.payload["notices"]),
        task=deliver_outbound,
        policy=RETRIES,
        errors=channels.ChannelError,
    )


def deliver_due() -> int:
    """The pending batches whose next attempt is overdue, attempted; how late a batch is
    comes from its creation and its attempts so far (the backoff between them)."""
    return retries.sweep(OutboundBatch, deliver_outbound, RETRIES)


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


@shared_task(acks_late=True)
def build_export_task(job_id: int, target_id: int) -> int | None:
    """An export asked for as a job (notifications.export_files); nothing once it has ended."""
    from dangjian.notifications import export_files

    job = export_files.build_export(job_id, target_id)
    return job.pk if job else None


@shared_task
def resume_exports() -> int:
    from dangjian.notifications import export_files

    return export_files.resume_exports()


@shared_task
def forget_old_exports() -> int:
    from dangjian.notifications import export_files

    return export_files.forget_old_exports()
