"""The figures the annual appraisal weighs, for every branch under an organization and a
year, each in one aggregate query whatever the number of branches: the year's mean
monthly score (scoring's year rows), spot-check findings of problems, rectifications not
answered by their deadline, send-backs of records (record review's selector), and, where
the rule weighs them, study package completion and volunteer hours.

Reads only, no permission: the service that generates an appraisal asks first."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Q, Sum

from dangjian.core import clock
from dangjian.core.replica import reading_from_replica
from dangjian.registry.models import Member, Organization, OrgKind
from dangjian.scoring.models import BranchPeriodScore, PeriodKind
from dangjian.supervision import appraisal_rules as rules
from dangjian.supervision.models import (
    FindingResult,
    Rectification,
    RectificationStatus,
    SpotCheckItem,
)


@dataclass(frozen=True)
class BranchFigures:
    branch_id: int
    county_id: int
    inputs: rules.AppraisalInputs


def county_path(branch_path: str) -> str:
    """A branch's county: its ancestor two levels down from the root (the branch itself
    when it sits there)."""
    return branch_path[: Organization.steplen * 2]


def _year_scores(org: Organization, year: int) -> dict[int, int]:
    return dict(
        BranchPeriodScore.objects.filter(
            kind=PeriodKind.YEAR, period_start=date(year, 1, 1), branch__path__startswith=org.path
        ).values_list("branch_id", "score_hundredths")
    )


def _findings(org: Organization, year: int) -> dict[int, int]:
    """Findings of problems in the spot checks of the year's periods."""
    return dict(
        SpotCheckItem.objects.filter(
            result=FindingResult.PROBLEMS,
            spot_check__period_start__gte=date(year, 1, 1),
            spot_check__period_start__lt=date(year + 1, 1, 1),
            branch__path__startswith=org.path,
        )
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )


def _overdue(org: Organization, year: int, today: date) -> dict[int, int]:
    """Rectifications due in the year and not answered by their deadline: still open
    after it, or answered on a later day."""
    late = Q(status=RectificationStatus.OPEN, deadline__lt=today) | Q(
        answered_at__date__gt=F("deadline")
    )
    return dict(
        Rectification.objects.filter(
            late,
            deadline__gte=date(year, 1, 1),
            deadline__lt=date(year + 1, 1, 1),
            branch__path__startswith=org.path,
        )
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )


def _send_backs(branch_ids: list[int], year: int) -> dict[int, int]:
    from dangjian.supervision.review_selectors import send_backs

    found = send_backs(branch_ids, date(year, 1, 1), date(year + 1, 1, 1))
    return Counter(s.branch_id for s in found)


def _members(org: Organization) -> dict[int, int]:
    return dict(
        Member.objects.filter(is_active=True, branch__path__startswith=org.path)
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )


def _volunteer_hours(org: Organization, year: int) -> dict[int, Decimal]:
    """Net hours (credits less reversals) served in the year by each branch's members."""
    from dangjian.volunteering.models import HoursEntry

    rows = (
        HoursEntry.objects.filter(
            member__branch__path__startswith=org.path,
            served_on__gte=date(year, 1, 1),
            served_on__lt=date(year + 1, 1, 1),
        )
        .values("member__branch_id")
        .annotate(hours=Sum("hours"))
        .values_list("member__branch_id", "hours")
    )
    # SQLite sums decimals without their scale.
    return {pk: Decimal(str(hours or 0)).quantize(Decimal("0.01")) for pk, hours in rows}


def _study_shares(org: Organization, year: int, until: date) -> dict[int, Fraction]:
    """Each branch's completions over its members, summed over the year's months that had
    a study package (up to `until`): the city's package of a month reaches every branch
    (a county only adds to it)."""
    from dangjian.learning import packages

    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for month in range(1, 13):
        first = date(year, month, 1)
        if first > until or not packages.month_has_package(first, org):
            continue
        for row in packages.completion_by_branch(first, org):
            totals[row.branch_id][0] += row.complete
            totals[row.branch_id][1] += row.members
    return {pk: Fraction(done, members) for pk, (done, members) in totals.items() if members}


@reading_from_replica()
def branch_figures(
    org: Organization, year: int, terms: rules.AppraisalTerms
) -> list[BranchFigures]:
    """Every active branch under `org` with its figures for the year, in path order."""
    branches = list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True)
        .order_by("path")
        .values_list("pk", "path")
    )
    counties = dict(
        Organization.objects.filter(
            path__in={county_path(path) for _pk, path in branches}
        ).values_list("path", "pk")
    )
    today = clock.today()
    scores = _year_scores(org, year)
    findings = _findings(org, year)
    overdue = _overdue(org, year, today)
    send_backs = _send_backs([pk for pk, _path in branches], year)
    members = _members(org)
    hours = _volunteer_hours(org, year) if terms.volunteer_weight else {}
    study = _study_shares(org, year, today) if terms.study_weight else {}
    return [
        BranchFigures(
            branch_id=pk,
            county_id=counties[county_path(path)],
            inputs=rules.AppraisalInputs(
                mean_hundredths=scores.get(pk, 0),
                findings=findings.get(pk, 0),
                overdue=overdue.get(pk, 0),
                send_backs=send_backs.get(pk, 0),
                study_share=study.get(pk) if terms.study_weight else None,
                volunteer_hours=hours.get(pk, Decimal("0")),
                members=members.get(pk, 0),
            ),
        )
        for pk, path in branches
    ]
