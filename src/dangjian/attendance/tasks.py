from celery import shared_task

from dangjian.attendance import retention, services


@shared_task
def close_due_activities() -> int:
    return services.close_due_activities()


@shared_task
def archive_old_attempts() -> list[dict]:
    return retention.archive_old_attempts()
