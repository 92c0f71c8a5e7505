"""Audit records are written by the services that change data, inside the same
transaction, so a change and its record stand or fall together."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from dangjian.audit.models import AuditEntry
from dangjian.core import clock


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def build_entry(
    *,
    actor,
    action: str,
    obj: models.Model,
    org=None,
    before: dict | None = None,
    after: dict | None = None,
    label: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    return AuditEntry(
        actor=actor,
        actor_label=str(actor)[:80] if actor is not None else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=(label or str(obj))[:200],
        org=org,
        before=before,
        after=after,
        created_at=at or clock.now(),
    )


def record(**kwargs) -> AuditEntry:
    entry = build_entry(**kwargs)
    entry.save()
    return entry


def record_changes(
    *, actor, action: str, obj: models.Model, org=None, before: dict, after: dict
) -> AuditEntry | None:
    """Record an edit as the fields it changed, from the snapshots taken before and after
    it; an edit that changed nothing leaves no entry."""
    old, new = diff(before, after)
    if not new:
        return None
    return record(actor=actor, action=action, obj=obj, org=org, before=old, after=new)


def record_many(entries: list[AuditEntry], batch_size: int = 2000) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
