"""The volunteer cloud call's scheduled jobs (core.scheduling.JOBS). Each is idempotent."""

from celery import shared_task

from dangjian.volunteering import orders


@shared_task
def escalate_unclaimed_orders() -> int:
    return orders.escalate_unclaimed()


@shared_task
def flag_overdue_orders() -> int:
    return orders.flag_overdue()


@shared_task
def close_unrated_orders() -> int:
    """Completed orders left unrated for 7 days are confirmed without a rating."""
    from dangjian.volunteering import claims

    return claims.close_unrated_orders()
