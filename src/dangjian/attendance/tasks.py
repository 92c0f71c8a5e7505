from celery import shared_task

from dangjian.attendance import services


@shared_task
def close_due_activities() -> int:
    return services.close_due_activities()
