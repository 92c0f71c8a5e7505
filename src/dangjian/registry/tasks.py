from celery import shared_task

from dangjian.registry import accounts, activation


@shared_task
def forget_old_sms_codes() -> int:
    return activation.forget_old_codes()


@shared_task
def forget_expired_api_tokens() -> int:
    return accounts.forget_expired_tokens()


@shared_task(acks_late=True)
def invite_batch(member_ids: list[int], job_id: int | None = None) -> int:
    """Idempotent: run again (a worker lost), it sends nobody twice the same day."""
    from dangjian.registry import invitations

    sent = invitations.invite_members(member_ids)
    invitations.count_batch(job_id, len(member_ids))
    return sent


@shared_task(acks_late=True)
def import_file_task(job_id: int) -> str | None:
    """An import's job (registry.imports.background). Run again (a worker lost), it checks
    the file again; its one transaction wrote everything or nothing."""
    from dangjian.registry.imports import background

    job = background.run_import(job_id)
    return job.status if job else None


@shared_task
def resume_imports() -> int:
    from dangjian.registry.imports import background

    return background.resume_imports()
