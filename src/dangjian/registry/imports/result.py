"""How an import ends: everything written in one transaction with one audit entry for the
file, or nothing."""

from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dangjian.audit import services as audit
from dangjian.core.locking import refused_on_conflict

# Rows a write batch holds: the member import's accounts, members and audit entries.
WRITE_BATCH = 2000


@dataclass
class ImportResult:
    created: int
    updated: int


def all_or_nothing(conflict: str) -> AbstractContextManager[None]:
    """One transaction for the whole file. A unique key that someone else took between our
    checks and our writes fails it: DomainError("import_conflict", conflict)."""
    return refused_on_conflict("import_conflict", conflict)


def record_import(
    *, actor, org, filename: str | None, kind: str, result: ImportResult, at, **details
) -> None:
    """The audit entry of a member or organization file."""
    record_file(
        actor=actor,
        org=org,
        action="registry.import",
        filename=filename,
        untitled=_("批量导入"),
        after={"kind": kind, "created": result.created, "updated": result.updated, **details},
        at=at,
    )


def record_file(
    *, actor, org, action: str, filename: str | None, untitled: str, after: dict, at
) -> None:
    """The one audit entry of an imported file, on the organization it was imported into
    and named after the file (`untitled` for an upload without a name)."""
    audit.record(
        actor=actor,
        action=action,
        obj=org,
        org=org,
        label=f"{org} · {filename or untitled}",
        after={"file": filename, **after},
        at=at,
    )
