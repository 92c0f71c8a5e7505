from celery import shared_task

from dangjian.supervision import monthly_services


@shared_task
def make_due_monthly_sheets() -> int:
    return monthly_services.make_due_monthly_sheets()
