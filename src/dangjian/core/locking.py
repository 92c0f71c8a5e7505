"""Reading a row again under lock, which is how a service serializes concurrent writes to
one object (the checks that follow see the row as it is, not as the caller fetched it)."""

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def locked(instance: M, *related: str) -> M:
    """`instance` read again with SELECT … FOR UPDATE of its own row only; the `related`
    rows come with it, unlocked."""
    return (
        type(instance)
        .objects.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=instance.pk)
    )
