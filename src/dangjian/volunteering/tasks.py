"""The volunteer cloud call's scheduled jobs (core.scheduling.JOBS). Each is idempotent."""

from celery import shared_task

from dangjian.volunteering import orders


@shared_task
def escalate_unclaimed_orders() -> int:
    return orders.escalate_unclaimed()


@shared_task
def flag_overdue_orders() -> int:
    return orders.flag_overdue()
