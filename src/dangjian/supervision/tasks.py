from celery import shared_task

from dangjian.supervision import monthly_services


@shared_task
def make_due_monthly_sheets() -> int:
    return monthly_services.make_due_monthly_sheets()


@shared_task(acks_late=True)
def notify_bulletin(bulletin_id: int) -> int:
    """Idempotent: a run again after a lost worker notifies only who was not notified."""
    from dangjian.supervision import bulletins

    return bulletins.notify(bulletin_id).notified_members


@shared_task
def resume_bulletin_notices() -> int:
    from dangjian.supervision import bulletins

    return bulletins.resume_notices()
