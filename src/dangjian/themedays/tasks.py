from celery import shared_task

from dangjian.themedays import services


@shared_task(acks_late=True)
def distribute_campaign(campaign_id: int) -> dict:
    """Idempotent: a worker killed halfway through puts the task back on the queue
    (settings.CELERY_TASK_REJECT_ON_WORKER_LOST), and the run again adds only what is
    missing."""
    campaign = services.distribute(campaign_id)
    return {"branches": campaign.distributed_branches, "members": campaign.notified_members}


@shared_task
def freeze_due_rosters() -> int:
    return services.freeze_due_rosters()


@shared_task
def resume_distributions() -> int:
    return services.resume_distributions()


@shared_task(acks_late=True)
def build_ledger_task(ledger_id: int) -> str | None:
    """Idempotent: a ledger already built (or failed) is left as it is."""
    from dangjian.themedays.ledger import services as ledgers

    ledger = ledgers.build_ledger(ledger_id)
    return ledger.status if ledger else None


@shared_task
def resume_ledgers() -> int:
    from dangjian.themedays.ledger import services as ledgers

    return ledgers.resume_ledgers()
