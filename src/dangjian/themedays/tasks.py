from celery import shared_task

from dangjian.themedays import services


@shared_task(acks_late=True)
def distribute_campaign(campaign_id: int) -> dict:
    campaign = services.distribute(campaign_id)
    return {"branches": campaign.distributed_branches, "members": campaign.notified_members}


@shared_task
def freeze_due_rosters() -> int:
    return services.freeze_due_rosters()
