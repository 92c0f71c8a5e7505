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


@shared_task
def generate_bulletin_task(actor_id: int, org_id: int, year: int, quarter: int) -> int | None:
    """A quarter's bulletin generated for the job its admin watches (bulletins.request_bulletin)."""
    from dangjian.supervision import bulletins

    bulletin = bulletins.generate_in_background(actor_id, org_id, year, quarter)
    return bulletin.pk if bulletin else None
