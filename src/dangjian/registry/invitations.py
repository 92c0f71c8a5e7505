"""Who has got into their account, and inviting those who have not.

A member is *activated* when their account can be signed into: it has a usable password
(set by activation, a reset or an admin) or a bound WeChat identity (signing in inside
WeChat needs no password). An imported member, or one whose password an admin reset, has
neither. `is_activated` is the rule, `activated_q` the same rule as a query; the rates and
the invitations use nothing else.

`invite` sends every not yet activated member of an organization's subtree a text message
with the activation link: once per organization a day (the audit log is the record), and
nobody twice on one day whoever asked (the SMS outbox is the record). The messages are
queued in batches of INVITATION_BATCH members, one background task a batch
(`registry.tasks.invite_batch`), each idempotent, whose messages are written and sent
together (`notifications.services.send_sms_batch`)."""

from datetime import datetime, time

from django.contrib.auth.hashers import is_password_usable
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.audit import services as audit
from dangjian.audit.models import AuditEntry
from dangjian.core import clock, site
from dangjian.core.batching import chunks
from dangjian.core.errors import DomainError
from dangjian.notifications import jobs
from dangjian.notifications import services as notifications
from dangjian.notifications.models import Job, SmsMessage
from dangjian.registry.models import Member, Organization, User

INVITATION_BATCH = 1000
INVITATION_TEMPLATE = "activation_invitation"
INVITE_ACTION = "org.invite_activation"


# The rule ----------------------------------------------------------------------------------


def is_activated(*, password: str | None, wechat_bound: bool) -> bool:
    """Whether an account can be signed into: a usable password (Django's own test: an
    unusable one starts with "!") or a bound WeChat identity."""
    return wechat_bound or (bool(password) and is_password_usable(password))


def activated_q(prefix: str = "user__") -> Q:
    """`is_activated` over members (prefix "user__") or accounts (prefix "")."""
    usable = Q(**{f"{prefix}password__gt": ""}) & ~Q(**{f"{prefix}password__startswith": "!"})
    return usable | Q(**{f"{prefix}wechat_binding__isnull": False})


def invitation_may_be_sent(*, last_invited_at: datetime | None, now: datetime) -> bool:
    """Once per organization a (local) day."""
    if last_invited_at is None:
        return True
    return timezone.localdate(last_invited_at) < timezone.localdate(now)


def _day_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))


# The verbs ---------------------------------------------------------------------------------


def not_activated_members(org: Organization):
    return (
        Member.objects.filter(
            is_active=True, user__is_active=True, branch__path__startswith=org.path
        )
        .exclude(activated_q())
        .order_by("pk")
    )


def invite(*, actor: User, org: Organization) -> dict:
    """Invite the not yet activated members of `org`'s subtree (the caller checked the
    actor's scope). Refused with `already_invited` when the organization was invited today.
    Answers how many members are queued and in how many batches."""
    with transaction.atomic():
        # Serializes two requests for one organization: the second sees the first's entry.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        now = clock.now()
        last = (
            AuditEntry.objects.filter(action=INVITE_ACTION, org=org)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if not invitation_may_be_sent(last_invited_at=last, now=now):
            raise DomainError(
                "already_invited", _("今天已向本组织未激活的党员发送过邀请，请明天再试。")
            )
        ids = list(not_activated_members(org).values_list("pk", flat=True))
        batches = list(chunks(ids, INVITATION_BATCH))
        audit.record(
            actor=actor,
            action=INVITE_ACTION,
            obj=org,
            org=org,
            after={"members": len(ids), "batches": len(batches)},
        )
        from dangjian.registry.tasks import invite_batch

        # The job the inviter watches: a step a member, counted as each batch is sent.
        job = jobs.start_job(
            actor=actor,
            kind="invitation",
            subject=invitation_subject(org),
            title=_("激活邀请：%s") % org.name,
            org=org,
        )
        jobs.begin(job, total=len(ids))
        if not ids:
            jobs.succeed(job, summary=invitation_summary(0), result_url=_org_page(org))
        for batch in batches:
            # With Redis down a batch is lost to this request; asking again tomorrow, or
            # the city-wide invitation, reaches whoever it missed.
            jobs.send(invite_batch, (batch, job.pk))
    return {"members": len(ids), "batches": len(batches)}


def invitation_subject(org: Organization) -> str:
    """What an invitation's job is about (notifications.jobs)."""
    return f"invitation:{org.pk}"


def invitation_summary(members: int) -> str:
    return _("激活邀请已发出：%(n)d 名未激活的党员（今天已收到邀请的不再重复发送）。") % {
        "n": members
    }


def _org_page(org: Organization) -> str:
    return f"/console/orgs/{org.pk}/"


def count_batch(job_id: int | None, members: int) -> None:
    """A batch of `members` is sent: counted on the invitation's job, which the last batch
    ends with its summary and the organization's page."""
    job = Job.objects.filter(pk=job_id).select_related("org").first() if job_id else None
    if job is None:
        return
    jobs.advance_and_close(
        job.pk,
        members,
        summary=invitation_summary(job.total),
        result_url=_org_page(job.org) if job.org else "",
    )


def invite_members(member_ids: list[int]) -> int:
    """One batch: a message to each of these members who is still not activated and has
    not been invited today. Answers how many were sent. Running it again sends nobody
    twice (the members' rows are locked meanwhile: two runs at once wait for each other)."""
    now = clock.now()
    link = site.absolute_url(reverse("mobile:activate"))
    with transaction.atomic():
        # Locked alone: PostgreSQL refuses FOR UPDATE over the outer join of the rule.
        locked = list(
            Member.objects.select_for_update()
            .filter(pk__in=member_ids)
            .values_list("pk", flat=True)
        )
        # The rule applied to this batch's own rows: as one query over the join the planner
        # starts from all 208,000 accounts, not from these members.
        rows = (
            Member.objects.filter(pk__in=locked, is_active=True, user__is_active=True)
            .order_by("pk")
            .values_list("user__phone", "user__password", "user__wechat_binding")
        )
        waiting = [
            phone
            for phone, password, binding in rows
            if not is_activated(password=password, wechat_bound=binding is not None)
        ]
        already = set(
            SmsMessage.objects.filter(
                template=INVITATION_TEMPLATE, phone__in=waiting, created_at__gte=_day_start(now)
            )
            .order_by()
            .values_list("phone", flat=True)
        )
        # One message a phone, in the order read; a phone shared by two members (it
        # happens with family phones) gets one.
        phones = [phone for phone in dict.fromkeys(waiting) if phone not in already]
        # WeChat: a member bound to WeChat counts as activated and is never here; a template
        # message to other bound accounts (if the rule ever allows one) would go from here,
        # by the WeChat channel.
        return notifications.send_sms_batch(
            phones=phones, template=INVITATION_TEMPLATE, params={"url": link}
        )
