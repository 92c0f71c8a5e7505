"""Reads of the quarterly awards: rounds, cases and nominations in the reader's scope, the
advanced-branch candidates of a county (its quarter ranking from `scoring.selectors`, less
the branches with an overdue rectification), a member's evidence for the quarter, and the
published results. Callers fetch the round through `permissions` first."""

from dataclasses import asdict, dataclass
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from dangjian import permissions
from dangjian.registry.models import Member, Organization, OrgKind
from dangjian.scoring import formula
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import Period
from dangjian.supervision import award_rules as rules
from dangjian.supervision.models import (
    AwardKind,
    AwardRound,
    AwardRoundStatus,
    GoldenIdeaCase,
    Nomination,
    Rectification,
)
from dangjian.supervision.selectors import overdue_q


def rounds_in(actor) -> QuerySet[AwardRound]:
    return permissions.scoped_award_rounds(actor).select_related("org")


def counties_of(actor, award_round: AwardRound) -> list[Organization]:
    """The counties of the round's city whose nominations the actor makes: those they
    administer (every one, for the city's admins)."""
    return list(
        Organization.objects.filter(
            permissions.admin_scope_q(actor),
            path__startswith=award_round.org.path,
            depth=award_round.org.depth + 1,
            is_active=True,
        ).order_by("path")
    )


def own_branches(actor, award_round: AwardRound) -> list[Organization]:
    """The branches of the round's city that the actor administers themselves (a branch's
    own admins): whose cases their round page offers to submit."""
    return list(
        Organization.objects.filter(
            path__in=permissions.admin_paths(actor),
            path__startswith=award_round.org.path,
            kind=OrgKind.BRANCH,
            is_active=True,
        ).order_by("path")
    )


def quota_use(
    award_round: AwardRound, counties: list[Organization]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per county and kind, (used, quota) of its nominations; one query for all."""
    used: dict[tuple[int, str], int] = {
        (county_id, kind): n
        for county_id, kind, n in Nomination.objects.filter(round=award_round, county__in=counties)
        .values_list("county_id", "kind")
        .annotate(n=Count("id"))
        .values_list("county_id", "kind", "n")
    }
    return {
        county.pk: {
            kind: (used.get((county.pk, kind), 0), award_round.quota_for(kind))
            for kind in AwardKind.values
        }
        for county in counties
    }


def selected_counts(award_round: AwardRound) -> dict[str, int]:
    counts = dict(
        Nomination.objects.filter(round=award_round, is_selected=True)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in AwardKind.values}


# Advanced-branch candidates ----------------------------------------------------------------


@dataclass(slots=True)
class CandidateRow:
    org_id: int
    name: str
    rank: int
    score_hundredths: int
    branches: int
    has_overdue: bool
    is_candidate: bool

    @property
    def score(self) -> Decimal:
        return formula.from_hundredths(self.score_hundredths)


def branch_candidates(award_round: AwardRound, county: Organization) -> list[CandidateRow]:
    """Every branch of the county ranked by its quarter score, best first, each marked a
    candidate or not (`award_rules.is_candidate`): within the round's top share, scored,
    and no rectification overdue today."""
    ranked = scoring.ranking(county, award_round.period)
    overdue = set(
        Rectification.objects.filter(overdue_q(), branch__path__startswith=county.path)
        .values_list("branch_id", flat=True)
        .distinct()
    )
    cutoff = rules.candidate_cutoff(len(ranked), award_round.candidate_percent)
    return [
        CandidateRow(
            org_id=row.org_id,
            name=row.name,
            rank=row.rank,
            score_hundredths=row.score_hundredths,
            branches=len(ranked),
            has_overdue=row.org_id in overdue,
            is_candidate=rules.is_candidate(
                rank=row.rank,
                score_hundredths=row.score_hundredths,
                cutoff=cutoff,
                has_overdue=row.org_id in overdue,
            ),
        )
        for row in ranked
    ]


def candidate_of(
    award_round: AwardRound, county: Organization, branch: Organization
) -> CandidateRow | None:
    return next((r for r in branch_candidates(award_round, county) if r.org_id == branch.pk), None)


# A member's evidence -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberEvidence:
    check_ins: int
    volunteer_hours: Decimal
    study_minutes: int

    def as_dict(self) -> dict:
        data = asdict(self)
        data["volunteer_hours"] = str(self.volunteer_hours)
        return data


def _bounds(period: Period) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(period.start, time.min), zone),
        timezone.make_aware(datetime.combine(period.end, time.min), zone),
    )


def member_evidence(member: Member, period: Period) -> MemberEvidence:
    """What a model member is nominated with, for the quarter (local time): the activities
    they checked in to, their net volunteer hours served (credits less reversals) and their
    counted study time."""
    from dangjian.attendance.models import AttendanceRecord
    from dangjian.learning.models import Reading
    from dangjian.volunteering.models import HoursEntry

    start, end = _bounds(period)
    check_ins = AttendanceRecord.objects.filter(
        member=member, checked_in_at__gte=start, checked_in_at__lt=end
    ).count()
    hours = HoursEntry.objects.filter(
        member=member, served_on__gte=period.start, served_on__lt=period.end
    ).aggregate(total=Sum("hours"))["total"]
    seconds = Reading.objects.filter(
        member=member, counted_at__gte=start, counted_at__lt=end
    ).aggregate(total=Sum("seconds"))["total"]
    return MemberEvidence(
        check_ins=check_ins,
        # SQLite sums decimals without their scale.
        volunteer_hours=Decimal(str(hours or 0)).quantize(Decimal("0.01")),
        study_minutes=(seconds or 0) // 60,
    )


def county_member(actor, county: Organization, phone: str) -> Member | None:
    """The active member with this login phone in the county, within the actor's scope:
    how the console names a model member."""
    return (
        permissions.scoped_members(actor)
        .filter(
            user__phone=(phone or "").strip(),
            is_active=True,
            branch__path__startswith=county.path,
        )
        .select_related("branch")
        .first()
    )


# Cases and nominations ---------------------------------------------------------------------


def cases_of(actor, award_round: AwardRound) -> QuerySet[GoldenIdeaCase]:
    return (
        permissions.scoped_cases(actor)
        .filter(round=award_round)
        .select_related("branch")
        .prefetch_related("photos", "activities")
        .order_by("branch__path", "id")
    )


def nominations_of(actor, award_round: AwardRound, *, kind: str = "") -> QuerySet[Nomination]:
    qs = permissions.scoped_nominations(actor).filter(round=award_round)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("county", "branch", "case", "member", "member__branch").order_by(
        "kind", "county__path", "-is_selected", "id"
    )


def results_of(actor, award_round: AwardRound) -> dict[str, list[Nomination]]:
    """The selected nominations of a published round, by kind (empty before publication)."""
    out: dict[str, list[Nomination]] = {kind: [] for kind in AwardKind.values}
    if award_round.status != AwardRoundStatus.PUBLISHED:
        return out
    for n in nominations_of(actor, award_round).filter(is_selected=True):
        out[n.kind].append(n)
    return out


def published_rounds(actor) -> QuerySet[AwardRound]:
    """The published rounds that reach the reader, newest first."""
    return rounds_in(actor).filter(status=AwardRoundStatus.PUBLISHED).order_by("-quarter_start")
