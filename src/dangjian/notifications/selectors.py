from dangjian import permissions
from dangjian.notifications.models import Job, Notification, SmsMessage
from dangjian.permissions import not_found


def inbox(user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def access_notification(user, notification_id) -> Notification:
    """A user's own notice, or the same not_found for anyone else's."""
    try:
        pk = int(notification_id)
    except (TypeError, ValueError):
        pk = None
    notice = Notification.objects.filter(pk=pk, user=user).first() if pk else None
    if notice is None:
        raise not_found()
    return notice


def sms_outbox(user):
    """Every text message sent, newest first: the demo's outbox for admins."""
    if not permissions.may_read_sms_outbox(user):
        raise not_found()
    return SmsMessage.objects.order_by("-created_at", "-id")


def my_jobs(user):
    """The long work `user` started, newest first (the console's 我的任务)."""
    return Job.objects.filter(actor=user).order_by("-created_at", "-id")


def access_job(user, job_id) -> Job:
    """A job, for the person who started it; the same not_found for anyone else, and for
    a job that does not exist."""
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        pk = None
    job = Job.objects.filter(pk=pk, actor=user).first() if pk and user.is_authenticated else None
    if job is None:
        raise not_found()
    return job


def latest_job(user, subject: str) -> Job | None:
    """The last job `user` started on `subject`, shown where that work was asked for."""
    return my_jobs(user).filter(subject=subject).first()
