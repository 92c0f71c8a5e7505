from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from dangjian import permissions
from dangjian.audit.models import AuditEntry


def entries_for(
    actor,
    *,
    org=None,
    object_type: str | None = None,
    object_id=None,
    who: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
):
    """Audit entries in the actor's scope (admins only), newest first, narrowed by the
    organization's subtree, the object, who did it (their name or phone as recorded, or
    part of it), the action and the days it was done on (both inclusive, local time)."""
    qs = AuditEntry.objects.filter(permissions.admin_scope_q(actor, "org__path"))
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id is not None and object_id != "":
        qs = qs.filter(object_id=str(object_id))
    if who:
        qs = qs.filter(Q(actor_label__icontains=who) | Q(actor__phone=who))
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(created_at__gte=_start_of(since))
    if until is not None:
        qs = qs.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return qs.select_related("org")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def object_types(actor) -> list[str]:
    """The kinds of object the actor's scope has entries about, for a filter's choices."""
    return list(
        AuditEntry.objects.filter(permissions.admin_scope_q(actor, "org__path"))
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
