from celery import shared_task

from dangjian.learning import quiz_services


@shared_task
def finish_overdue_attempts() -> int:
    return quiz_services.finish_overdue_attempts()
