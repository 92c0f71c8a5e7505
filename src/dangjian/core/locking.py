"""Reading a row again under lock, which is how a service serializes concurrent writes to
one object (the checks that follow see the row as it is, not as the caller fetched it), and
refusing a write that a concurrent one beat to a unique key."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import IntegrityError, models, transaction

from dangjian.core.errors import DomainError

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


@contextmanager
def refused_on_conflict(code: str, message: str, **details) -> Iterator[None]:
    """The writes inside, in a savepoint. A constraint they break (a unique key that a
    concurrent request took after the service's checks) is refused as
    `DomainError(code, message, **details)`, and the caller's transaction goes on."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise DomainError(code, message, **details) from exc
