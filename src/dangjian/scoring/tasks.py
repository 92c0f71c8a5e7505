from celery import shared_task

from dangjian.scoring import services


@shared_task(acks_late=True)
def recompute_activity_score(activity_id: int) -> str | None:
    """Queued by `services.inputs_changed` after a commit; idempotent, so a retry or a
    duplicate changes nothing more."""
    # Cleared before reading: a change committed from now on queues another recompute.
    services.clear_pending(activity_id)
    row = services.recompute_activity(activity_id)
    return None if row is None else str(row.total)


@shared_task
def refresh_stale_scores() -> int:
    return services.refresh_stale()


@shared_task
def recompute_due_scores() -> int:
    return services.recompute_due()
