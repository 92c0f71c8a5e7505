"""Benchmark: the city-wide invitation of every member who has not activated their account.

    createdb -h 127.0.0.1 -U postgres dangjian_bench_invite
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench_invite SMS_BACKEND=log
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    .venv/bin/python bench/invite.py 2>/dev/null

Without REDIS_URL the tasks run eagerly: the invitation, its batches (registry.tasks.
invite_batch) and the delivery of each batch's messages (notifications.sms.
deliver_sms_batch, the `log` backend) run in this process, as the request and the Celery
workers would. Then every batch is run again (a worker lost, a second delivery of the
queue), which must send nobody twice.
Prints the wall time, the messages and the peak memory of each. Each run first forgets the
invitations of earlier runs (their audit entries and messages), so that it can be repeated.
"""

import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("SMS_BACKEND", "log")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from dangjian.audit.models import AuditEntry  # noqa: E402
from dangjian.notifications.models import OutboundStatus, SmsMessage  # noqa: E402
from dangjian.registry import invitations  # noqa: E402
from dangjian.registry.models import Member, Organization, Role, RoleGrant  # noqa: E402


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        sys.exit("Run without REDIS_URL: the batches must run in this process.")
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    AuditEntry.objects.filter(action=invitations.INVITE_ACTION).delete()
    SmsMessage.objects.filter(template=invitations.INVITATION_TEMPLATE).delete()
    members = Member.objects.filter(is_active=True).count()
    waiting = invitations.not_activated_members(root).count()
    print(
        f"database: {connection.vendor}, SMS backend: {settings.SMS_BACKEND}, "
        f"members: {members}, not activated: {waiting}, peak RSS before {peak_mib():.0f} MiB"
    )

    started = time.perf_counter()
    result = invitations.invite(actor=admin, org=root)
    elapsed = time.perf_counter() - started
    messages = SmsMessage.objects.filter(template=invitations.INVITATION_TEMPLATE)
    sent = messages.filter(status=OutboundStatus.SENT).count()
    print(
        f"city-wide invitation: {elapsed:.1f} s, members {result['members']}, "
        f"batches {result['batches']}, messages sent {sent} "
        f"({sent / elapsed:.0f}/s), peak RSS {peak_mib():.0f} MiB"
    )
    assert sent == result["members"] == waiting, (sent, result, waiting)

    ids = list(invitations.not_activated_members(root).values_list("pk", flat=True))
    started = time.perf_counter()
    again = sum(
        invitations.invite_members(ids[i : i + invitations.INVITATION_BATCH])
        for i in range(0, len(ids), invitations.INVITATION_BATCH)
    )
    elapsed = time.perf_counter() - started
    print(
        f"every batch run again: {elapsed:.1f} s, messages sent {again}, "
        f"peak RSS {peak_mib():.0f} MiB"
    )
    assert again == 0 and messages.count() == waiting


if __name__ == "__main__":
    main()
