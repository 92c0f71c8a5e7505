"""Sending notices: the in-app row first (idempotent by dedupe key), then one outbound
batch per enabled channel, delivered in the background with retries."""

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction

from dangjian import celery
from dangjian.audit import services as audit
from dangjian.core import clock, partitions, site
from dangjian.core.batching import chunks
from dangjian.notifications import channels, jobs, sms
from dangjian.notifications.models import DedupeMonth, Notification, OutboundBatch, SmsMessage
from dangjian.permissions import not_found
from dangjian.registry.models import Member, User

BATCH_SIZE = 5000
# Branches whose members one transaction of notify_branch_members notifies.
BRANCH_BATCH = 500


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
) -> int:
    """Put a notice in each user's inbox and hand the new ones to the outbound channels.
    With a dedupe key, users who already have that notice get nothing. Returns how many
    notices were created."""
    ids = list(dict.fromkeys(user_ids))
    notice = {"kind": kind, "title": title, "body": body, "link": link}
    created = 0
    for chunk in chunks(ids, BATCH_SIZE):
        created += _notify_chunk(chunk, notice, dedupe_key)
    return created


def months_of_keys(keys: set[str]) -> dict[str, date]:
    """The month each dedupe key's notices are kept in (`DedupeMonth`): the month of the
    key's first push, this month for a key never sent. Inserted without waiting on a
    conflict's outcome (ON CONFLICT DO NOTHING waits for a concurrent push's transaction and
    skips its key), then read back, so that every push of a key agrees on its month."""
    this_month = partitions.month_of(clock.now())
    DedupeMonth.objects.bulk_create(
        [DedupeMonth(dedupe_key=key, month=this_month) for key in sorted(keys)],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return dict(DedupeMonth.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "month"))


@transaction.atomic
def _notify_chunk(ids: list[int], notice: dict, dedupe_key: str) -> int:
    now = clock.now()
    if dedupe_key:
        ids = _insert_new(ids, notice, dedupe_key, months_of_keys({dedupe_key})[dedupe_key], now)
    else:
        month = partitions.month_of(now)
        Notification.objects.bulk_create(
            [Notification(user_id=i, created_at=now, month=month, **notice) for i in ids],
            batch_size=2000,
        )
    if not ids:
        return 0
    # What tells this notice apart on a channel that sends once per recipient (wechat).
    key = dedupe_key or f"notice:{uuid.uuid4().hex}"
    _queue_outbound(ids, key=key, **notice)
    return len(ids)


def _insert_new(
    ids: list[int], notice: dict, dedupe_key: str, month: date, now: datetime
) -> list[int]:
    """Insert the key's notice for each of `ids` who has none, in one statement that answers
    whom it reached (INSERT … ON CONFLICT DO NOTHING RETURNING: the unique index decides,
    and waits for a concurrent push of the same key, so nobody is notified twice). Not a
    lookup first: its plan comes from statistics that a month's partition, filling with one
    key's millions of notices within one distribution, leaves stale, and it then reads all
    the key's notices for every batch (docs/performance.md, "Distributing a campaign")."""
    fields = {f.name: f for f in Notification._meta.concrete_fields}
    values = {"dedupe_key": dedupe_key, "month": month, "created_at": now, **notice}
    columns = ", ".join(fields[name].column for name in values)
    params = [fields[name].get_db_prep_value(v, connection) for name, v in values.items()]
    placeholders = ", ".join(["%s"] * len(values))
    if connection.vendor == "postgresql":
        uid, users = "u.id", "unnest(%s::bigint[]) AS u(id)"
        params.append(ids)
    else:  # SQLite: the ids as a JSON array; WHERE true parses ON CONFLICT as the insert's
        uid, users = "u.value", "json_each(%s) AS u WHERE true"
        params.append(json.dumps(ids))
    sql = (
        f"INSERT INTO {Notification._meta.db_table} ({columns}, user_id)"  # noqa: S608
        f" SELECT {placeholders}, {uid} FROM {users}"
        " ON CONFLICT DO NOTHING RETURNING user_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {row[0] for row in cursor.fetchall()}
    return [i for i in ids if i in inserted]


def _queue_outbound(
    user_ids: list[int], key: str, kind: str, title: str, body: str, link: str
) -> None:
    notice = {"key": key, "kind": kind, "title": title, "body": body, "link": link}
    _queue_outbound_each([{"user_id": i, **notice} for i in user_ids])


def _queue_outbound_each(items: list[dict]) -> None:
    """One outbound batch per enabled channel carrying `items` (each with its user_id, key,
    kind, title, body and link)."""
    names = channels.enabled()
    if not names:
        return
    phones = dict(
        User.objects.filter(pk__in={n["user_id"] for n in items}).values_list("pk", "phone")
    )

    notices = [
        {
            "user_id": n["user_id"],
            "key": n["key"],
            "phone": phones.get(n["user_id"], ""),
            "kind": n["kind"],
            "title": n["title"],
            "body": n["body"],
            "url": site.absolute_url(n["link"]),
        }
        for n in items
    ]
    from dangjian.notifications.tasks import deliver_outbound

    for name in names:
        batch = OutboundBatch.objects.create(
            channel=name, payload={"notices": notices}, created_at=clock.now()
        )
        # A Redis that is down leaves the batch pending for tasks.deliver_due.
        transaction.on_commit(lambda pk=batch.pk: celery.send(deliver_outbound, (pk,)))


def notify_each(notices: Iterable[dict]) -> int:
    """Many notices that differ from one recipient to the next (each a dict of user_id,
    kind, title, body, link and dedupe_key, which is required), put in the inboxes and
    handed to the channels a chunk at a time: one insert and one outbound batch per channel
    for thousands of them, where `notify` would take a round of queries each. A recipient
    who already has a notice's dedupe key gets nothing. Returns how many were created."""
    items = list(notices)
    if any(not n.get("dedupe_key") for n in items):
        raise ValueError("notify_each needs a dedupe_key on every notice")
    created = 0
    for chunk in chunks(items, BATCH_SIZE):
        created += _notify_each_chunk(chunk)
    return created


@transaction.atomic
def _notify_each_chunk(items: list[dict]) -> int:
    months = months_of_keys({n["dedupe_key"] for n in items})
    already = set(
        Notification.objects.filter(
            dedupe_key__in=months,
            month__in=set(months.values()),
            user_id__in={n["user_id"] for n in items},
        ).values_list("user_id", "dedupe_key")
    )
    fresh = []
    for n in items:
        pair = (n["user_id"], n["dedupe_key"])
        if pair not in already:
            already.add(pair)
            fresh.append(n)
    if not fresh:
        return 0
    now = clock.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=n["user_id"],
                dedupe_key=n["dedupe_key"],
                created_at=now,
                month=months[n["dedupe_key"]],
                kind=n["kind"],
                title=n["title"],
                body=n.get("body", ""),
                link=n.get("link", ""),
            )
            for n in fresh
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    _queue_outbound_each([{"body": "", "link": "", **n, "key": n["dedupe_key"]} for n in fresh])
    return len(fresh)


def notify_branch_members(
    *,
    branch_ids: list[int],
    dedupe_key: str,
    with_batch: Callable[[list[int]], object] | None = None,
    batch: int = BRANCH_BATCH,
    on_progress: Callable[[int], object] | None = None,
    **notice: str,
) -> None:
    """Notify the active members of many branches of `notice` (kind, title, body, link, as
    notify takes them), `batch` branches at a time, each batch in its own transaction
    together with what `with_batch` writes for those branches: a province-wide scope neither
    holds one long transaction nor loads every member at once, and with the dedupe key (here
    required) a run resumed after a crash notifies nobody twice. `on_progress` hears how
    many branches each batch did, once it has committed."""
    batch = max(1, batch)
    for chunk in chunks(branch_ids, batch):
        with transaction.atomic():
            if with_batch is not None:
                with_batch(chunk)
            user_ids = Member.objects.filter(branch_id__in=chunk, is_active=True).values_list(
                "user_id", flat=True
            )
            notify(user_ids=user_ids, dedupe_key=dedupe_key, **notice)
        if on_progress is not None:
            on_progress(len(chunk))


def request_fanout(
    *, actor: User, issue, requested: str, task, action: str, noted: str, restamp: bool
) -> dict:
    """The one click that sends what an organization issues for its subtree (a campaign's
    distribution, a study package's push) to every branch and member in the background:
    `issue` (locked by the caller) gets its `requested` time, unless it has one and
    `restamp` is off, the click is audited as `action`, and `task` runs once the transaction
    commits. With Redis down the request stays on the row and the scheduled sweep
    (core.scheduling.resume_unfinished) runs it. Answers {`noted`: requested before?}."""
    already = getattr(issue, requested) is not None
    if restamp or not already:
        setattr(issue, requested, clock.now())
        issue.save(update_fields=[requested])
    audit.record(actor=actor, action=action, obj=issue, org=issue.org, after={noted: already})
    jobs.send(task, (issue.pk,))
    return {noted: already}


def count_with_key(dedupe_key: str) -> int:
    """How many notices `dedupe_key` has put in inboxes: its month's partition counted."""
    month = DedupeMonth.objects.filter(dedupe_key=dedupe_key).values_list("month", flat=True)
    if not (found := list(month)):
        return 0
    return Notification.objects.filter(dedupe_key=dedupe_key, month=found[0]).count()


def mark_read(*, user: User, notification: Notification) -> Notification:
    if notification.user_id != user.pk:
        raise not_found()
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


def send_sms(*, phone: str, template: str, params: dict) -> SmsMessage:
    """Queue a text message for the SMS backend; sent in the background with retries
    (notifications.sms.deliver_sms), its status kept on the row."""
    message = SmsMessage.objects.create(
        phone=phone,
        template=template,
        params=params,
        text=sms.render(template, params),
        backend=settings.SMS_BACKEND,
        created_at=clock.now(),
    )
    transaction.on_commit(lambda: celery.send(sms.deliver_sms, (message.pk,)))
    return message


def send_sms_batch(*, phones: list[str], template: str, params: dict) -> int:
    """Queue the same text message to many phones: their rows written in one INSERT and
    sent by one background task (notifications.sms.deliver_sms_batch); a failed message is
    retried alone. Answers how many were queued."""
    if not phones:
        return 0
    now, text = clock.now(), sms.render(template, params)
    messages = SmsMessage.objects.bulk_create(
        SmsMessage(
            phone=phone,
            template=template,
            params=params,
            text=text,
            backend=settings.SMS_BACKEND,
            created_at=now,
        )
        for phone in phones
    )
    ids = [m.pk for m in messages]
    transaction.on_commit(lambda: celery.send(sms.deliver_sms_batch, (ids,)))
    return len(ids)
