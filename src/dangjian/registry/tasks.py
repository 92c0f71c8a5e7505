from celery import shared_task

from dangjian.registry import activation


@shared_task
def forget_old_sms_codes() -> int:
    return activation.forget_old_codes()
