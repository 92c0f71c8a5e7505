from celery import shared_task

from dangjian.learning import quiz_services


@shared_task
def finish_overdue_attempts() -> int:
    return quiz_services.finish_overdue_attempts()


@shared_task(acks_late=True)
def push_study_package(package_id: int) -> int:
    """Idempotent: a run again after a lost worker notifies only who was not notified."""
    from dangjian.learning import packages

    return packages.push(package_id).notified_members


@shared_task
def resume_package_pushes() -> int:
    from dangjian.learning import packages

    return packages.resume_pushes()
