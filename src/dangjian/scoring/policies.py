"""Reads of the scoring policy's versions, for the page and the API that list them: every
version newest first, the built-in version 1 included (it has no row, but old scores
carry it), with who published it and which one is in force.

Kept apart from selectors.py, which reads scores; both only read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dangjian.core import clock
from dangjian.scoring import formula
from dangjian.scoring.models import ScoringPolicy


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    weights: dict[str, int]  # in formula.COMPONENTS order
    upload_photos_target: int
    upload_summary_chars: int
    upload_photos_share: int
    note: str
    created_by: str | None  # the publisher's name; None for the built-in version
    effective_from: datetime | None  # None for the built-in version (always in force before)
    is_current: bool

    @property
    def is_builtin(self) -> bool:
        return self.effective_from is None


def _version(terms: formula.PolicyTerms, row: ScoringPolicy | None, current: int):
    return PolicyVersion(
        version=terms.version,
        weights={name: terms.weights[name] for name in formula.COMPONENTS},
        upload_photos_target=terms.upload_photos_target,
        upload_summary_chars=terms.upload_summary_chars,
        upload_photos_share=terms.upload_photos_share,
        note=row.note if row else "",
        created_by=row.created_by.name if row and row.created_by else None,
        effective_from=row.effective_from if row else None,
        is_current=terms.version == current,
    )


def policy_versions(now: datetime | None = None) -> list[PolicyVersion]:
    """Every version, newest first, in one query. The one in force is the latest that took
    effect by `now` (the same choice as selectors.PolicyBook)."""
    now = now or clock.now()
    rows = list(ScoringPolicy.objects.select_related("created_by").order_by("-version"))
    in_force = [r for r in rows if r.effective_from <= now]
    current = max(in_force, key=lambda r: (r.effective_from, r.version)).version if in_force else 1
    versions = [_version(row.terms(), row, current) for row in rows]
    versions.append(_version(formula.DEFAULT_POLICY, None, current))
    return versions


def current_version(versions: list[PolicyVersion]) -> PolicyVersion:
    return next(v for v in versions if v.is_current)
