"""Reads of the scoring policy: which version is in force at an instant (what a score is
computed with), and every version newest first for the page and the API that list them,
the built-in version 1 included (it has no row, but old scores carry it), with who
published it and which one is in force.

Kept apart from the selectors, which read scores; both only read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dangjian.core import clock
from dangjian.scoring import formula
from dangjian.scoring.models import ScoringPolicy
from dangjian.themedays.models import Activity, ActivityStatus


class PolicyBook:
    """Every policy version, loaded once, to pick the one in force at an instant: the
    latest to take effect by then, the built-in version before any."""

    def __init__(self, rows: Iterable[ScoringPolicy] | None = None):
        rows = ScoringPolicy.objects.all() if rows is None else rows
        self.rows = sorted(rows, key=lambda row: (row.effective_from, row.version))

    def row_at(self, moment: datetime) -> ScoringPolicy | None:
        chosen = None
        for row in self.rows:
            if row.effective_from <= moment:
                chosen = row
        return chosen

    def at(self, moment: datetime) -> formula.PolicyTerms:
        row = self.row_at(moment)
        return row.terms() if row is not None else formula.DEFAULT_POLICY


def current_policy() -> formula.PolicyTerms:
    return PolicyBook().at(clock.now())


def scoring_moment(activity: Activity, now: datetime) -> datetime:
    """A policy version applies to the activities that close after it; an activity still
    open is scored with the version in force now (and again when it closes)."""
    if activity.status == ActivityStatus.CLOSED and activity.closed_at is not None:
        return activity.closed_at
    return now


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    weights: dict[str, int]  # in formula.COMPONENTS order
    upload_photos_target: int
    upload_summary_chars: int
    upload_photos_share: int
    note: str
    study_weight: int  # the optional study component's (0 unless the version weighs it)
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
        study_weight=terms.weights.get(formula.STUDY, 0),
        upload_photos_target=terms.upload_photos_target,
        upload_summary_chars=terms.upload_summary_chars,
        upload_photos_share=terms.upload_photos_share,
        note=row.note if row else "",
        created_by=row.created_by.name if row and row.created_by else None,
        effective_from=row.effective_from if row else None,
        is_current=terms.version == current,
    )


def policy_versions(now: datetime | None = None) -> list[PolicyVersion]:
    """Every version, newest first, in one query, the one in force at `now` marked."""
    rows = list(ScoringPolicy.objects.select_related("created_by").order_by("-version"))
    in_force = PolicyBook(rows).row_at(now or clock.now())
    current = in_force.version if in_force is not None else formula.DEFAULT_POLICY.version
    versions = [_version(row.terms(), row, current) for row in rows]
    versions.append(_version(formula.DEFAULT_POLICY, None, current))
    return versions


def current_version(versions: list[PolicyVersion]) -> PolicyVersion:
    return next(v for v in versions if v.is_current)
