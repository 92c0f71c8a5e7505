"""How an outbound delivery (a webhook batch, an SMS, a WeChat message) is attempted and
retried: each channel has its own policy (attempts, backoff, grace), and this module the
steps they share: the row locked for one attempt, a failure counted as final or retried
later, and the scheduled sweep of the deliveries that are overdue."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from dangjian import celery
from dangjian.core import clock
from dangjian.notifications.models import OutboundStatus


@dataclass(frozen=True)
class Policy:
    """At most `max_attempts` attempts; after the n-th failure the next one waits
    `first_backoff_seconds * 2**(n-1)`; a row whose next attempt is `grace_seconds` late
    was never queued (the broker was down) or its task was lost, and the sweep takes it."""

    max_attempts: int
    first_backoff_seconds: int
    grace_seconds: int

    def backoff_seconds(self, attempts: int) -> int:
        return self.first_backoff_seconds * 2 ** (attempts - 1)

    def failed(self, row, error: Exception, *, permanent: bool = False) -> bool:
        """Note a failed attempt on `row` (its attempt already counted): failed for good
        when `permanent` or out of attempts, else pending again. Answers whether final."""
        final = permanent or row.attempts >= self.max_attempts
        row.status = OutboundStatus.FAILED if final else OutboundStatus.PENDING
        row.last_error = str(error)[:2000]
        return final

    def retry_later(self, task, row) -> None:
        """Queue `task(row.pk)` after the backoff of the attempts so far, once committed."""
        pk, countdown = row.pk, self.backoff_seconds(row.attempts)
        transaction.on_commit(lambda: celery.send(task, (pk,), countdown=countdown))


def attempt(
    model,
    pk: int,
    send: Callable[[object], None],
    *,
    task,
    policy: Policy,
    errors: type[Exception],
    fields: tuple[str, ...] = (),
    sent_fields: tuple[str, ...] = (),
) -> str:
    """One attempt at the pending row `pk` of `model` (a webhook batch, a WeChat message):
    claimed, its attempt counted, `send(row)` called; an exception of `errors` (final when
    its `permanent` is set, or the attempts are used up) is noted and, unless final, `task`
    queued again after the backoff. `fields` (and, once sent, `sent_fields`) are what `send`
    sets on the row besides. Answers "sent", "retrying", "failed" or "skipped"."""
    with transaction.atomic():
        row = claim(model, pk)
        if row is None:
            return "skipped"
        row.attempts += 1
        saved = ["attempts", "status", "last_error", *fields]
        try:
            send(row)
        except errors as exc:
            final = policy.failed(row, exc, permanent=getattr(exc, "permanent", False))
            row.save(update_fields=saved)
            if not final:
                policy.retry_later(task, row)
            return "failed" if final else "retrying"
        sent(row)
        row.save(
            update_fields=["attempts", "status", "sent_at", "last_error", *fields, *sent_fields]
        )
        return "sent"


def claim(model, pk: int):
    """The pending row `pk` of `model` locked for one attempt, or None when it is no longer
    pending or another worker holds it: the queued task and the sweep never attempt a row
    twice at once. Call inside a transaction."""
    return (
        model.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=OutboundStatus.PENDING)
        .first()
    )


def sent(row) -> None:
    """Note a successful attempt on `row` (saved by the caller)."""
    row.status = OutboundStatus.SENT
    row.sent_at = clock.now()
    row.last_error = ""


def overdue(*, now: datetime, policy: Policy) -> Q:
    """Pending rows whose next attempt should have started: created longer ago than the
    backoff of the attempts they have had, plus the policy's grace."""
    condition = Q()
    for attempts in range(policy.max_attempts):
        waited = sum(policy.backoff_seconds(n) for n in range(1, attempts + 1))
        waited += policy.grace_seconds
        condition |= Q(attempts=attempts, created_at__lte=now - timedelta(seconds=waited))
    return condition


def sweep(model, deliver: Callable[[int], object], policy: Policy) -> int:
    """Scheduled safety net: attempt (`deliver(pk)`) the pending rows of `model` that are
    overdue, the oldest first, at most 500 a run; how many were attempted."""
    due = list(
        model.objects.filter(status=OutboundStatus.PENDING)
        .filter(overdue(now=clock.now(), policy=policy))
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        deliver(pk)
    return len(due)
