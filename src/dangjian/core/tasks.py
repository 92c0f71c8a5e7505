"""The one task Celery beat sends: a scheduled job by name, at most once per its slot
(core.scheduling)."""

from celery import shared_task

from dangjian.core import scheduling


@shared_task
def run_scheduled_job(name: str) -> object:
    return scheduling.run_job(name)
