"""What a quarterly bulletin says: the figures of an organization's subtree for a quarter,
read once when the bulletin is generated and kept with it (`Bulletin.figures`), from which
its PDF and workbook are drawn.

The scores and ranks are the stored ones, read through `scoring.selectors` (the dashboard's
means by child organization and sector, the branch ranking): nothing here scores. The
rest are counts of what happened in the quarter: months a branch held no theme day,
required items missing from the held days (`orglife`), late records (补录), attendance
corrections, records sent back (`review_selectors`), spot-check findings and
rectifications.

Callers check access to the organization first; everything here stays inside its subtree.
Every value is JSON (scores as two-decimal strings), so that the figures can be stored."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from dangjian.attendance.models import AttendanceStatus, Correction, RequestStatus
from dangjian.core.replica import reading_from_replica
from dangjian.orglife import selectors as orglife
from dangjian.registry.models import SECTOR_NAMES, Organization, OrgKind
from dangjian.scoring import formula
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import Period
from dangjian.scoring.selectors import BranchRow
from dangjian.supervision import review_selectors
from dangjian.supervision.models import (
    FindingResult,
    Rectification,
    RectificationStatus,
    SpotCheckItem,
)
from dangjian.themedays import items
from dangjian.themedays.models import Activity, ActivityStatus

# How many branches the bulletin names at each end of the ranking.
TOP_BOTTOM = 10
# How many rows of each list the PDF prints (the workbook has them all).
PDF_LIST_ROWS = 30
# How many rows of each list the bulletin keeps with its figures (`kept`): a city's lists
# run to thousands of rows, which the workbook holds; pages and the API show the first.
KEPT_LIST_ROWS = 200


def quarter(year: int, number: int) -> Period:
    return Period("quarter", date(year, (number - 1) * 3 + 1, 1))


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _score(hundredths: int) -> str:
    return str(formula.from_hundredths(hundredths))


class _Children:
    """The direct children of the organization, to name the one a branch is under."""

    def __init__(self, org: Organization):
        self.cut = len(org.path) + Organization.steplen
        self.names = dict(
            Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1).values_list(
                "path", "name"
            )
        )
        self.order = {path: i for i, path in enumerate(sorted(self.names))}

    def name(self, path: str) -> str:
        return self.names.get(path[: self.cut], "")

    def counted(self, paths) -> list[dict]:
        """How many of `paths` (one per thing counted) lie under each child, in tree order."""
        counts = Counter(path[: self.cut] for path in paths)
        return [
            {"name": self.names[p], "count": counts[p]}
            for p in sorted(self.names, key=self.order.get)
            if counts[p]
        ]


@reading_from_replica()
def figures(org: Organization, period: Period, *, today: date) -> dict:
    """Every figure of the bulletin of `org` for the quarter `period`, as of `today` (what
    is overdue)."""
    children = _Children(org)
    dashboard = scoring.dashboard(org, period)
    months = _month_rows(org, period)
    return {
        "org": {"id": org.pk, "name": org.name},
        "period": period.label,
        "months": [f"{m:%Y-%m}" for m in period.months],
        "as_of": today.isoformat(),
        "summary": {
            "branches": dashboard.branches,
            "held": dashboard.held,
            "score": str(dashboard.score),
        },
        "children": [
            {
                "rank": r.rank,
                "org_id": r.org_id,
                "name": r.name,
                "score": str(r.score),
                "branches": r.branches,
                "held": r.held,
            }
            for r in dashboard.children
        ],
        "sectors": _sectors(dashboard.by_sector),
        "distribution": dashboard.distribution,
        **_branches(org, period, children),
        "missed": _missed(months, period, children),
        "items_missing": _items_missing(months, children),
        "send_backs": _send_backs(org, period, children, today),
        "late_records": _late_records(org, period, children),
        "corrections": _corrections(org, period, children),
        "spot_checks": _spot_checks(org, period, children),
        "rectifications": _rectifications(org, period, children, today),
    }


def kept(figures: dict) -> dict:
    """The figures as a bulletin keeps them: every count, and each list's first
    `KEPT_LIST_ROWS` rows (`rows_total` says how many it has)."""
    out = dict(figures)
    for key, value in figures.items():
        if isinstance(value, dict) and "rows" in value:
            out[key] = {
                **value,
                "rows": value["rows"][:KEPT_LIST_ROWS],
                "rows_total": len(value["rows"]),
            }
    return out


def _sectors(groups) -> list[dict]:
    """The sectors ranked by the mean of their branches' stored scores."""
    ordered = sorted(groups, key=lambda g: (-g.mean, g.key))
    return [
        {
            "rank": rank,
            "sector": g.key,
            "name": SECTOR_NAMES.get(g.key, g.key),
            "score": str(g.mean),
            "branches": g.branches,
            "held": g.held,
        }
        for rank, g in formula.competition_ranks(ordered, lambda g: g.mean)
    ]


def _branches(org: Organization, period: Period, children: _Children) -> dict:
    """The branch ranking (`scoring.ranking`), its best and worst `TOP_BOTTOM` named with
    the child organization they are under; the whole ranking for the workbook."""
    ranked = scoring.ranking(org, period)
    paths = dict(
        Organization.objects.filter(pk__in=[r.org_id for r in ranked]).values_list("pk", "path")
    )
    rows = [
        {
            "rank": r.rank,
            "org_id": r.org_id,
            "name": r.name,
            "under": children.name(paths.get(r.org_id, "")),
            "sector": r.sector_name,
            "score": str(r.score),
            "held_months": r.held_months,
        }
        for r in ranked
    ]
    return {"top": rows[:TOP_BOTTOM], "bottom": rows[-TOP_BOTTOM:][::-1], "ranking": rows}


def _month_rows(org: Organization, period: Period) -> list[tuple[date, BranchRow]]:
    """Every branch's stored row of each month of the quarter (`scoring.branch_rows`)."""
    return [
        (month, row)
        for month in period.months
        for row in scoring.branch_rows(org, Period("month", month))
    ]


def _missed(rows: list[tuple[date, BranchRow]], period: Period, children: _Children) -> dict:
    """The months in which a branch held no theme day, from each month's stored rows."""
    missed: dict[int, list[str]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for month, row in rows:
        if not row.held_months:
            missed[row.org_id].append(f"{month:%Y-%m}")
            names[row.org_id] = (row.name, row.path)
    rows = sorted(
        (
            {
                "org_id": pk,
                "name": names[pk][0],
                "under": children.name(names[pk][1]),
                "months": months,
            }
            for pk, months in missed.items()
        ),
        key=lambda r: (-len(r["months"]), names[r["org_id"]][1]),
    )
    return {
        "branch_months": sum(len(r["months"]) for r in rows),
        "branches": len(rows),
        "all_months": sum(1 for r in rows if len(r["months"]) == len(period.months)),
        "by_child": children.counted(
            names[pk][1] for pk, months in missed.items() for _m in months
        ),
        "rows": rows,
    }


def _items_missing(rows: list[tuple[date, BranchRow]], children: _Children) -> dict:
    """The required items (诵读党章, 缴纳党费, …) on the agenda of each month's held theme day
    that were not marked done with their evidence (`orglife.selectors.missing_items`)."""
    held = {
        row.activity_id: (month, row) for month, row in rows if row.held_months and row.activity_id
    }
    found = sorted(
        ((held[pk], codes) for pk, codes in orglife.missing_items(held).items() if codes),
        key=lambda found: (found[0][1].path, found[0][0]),
    )
    by_item = Counter(code for _held, codes in found for code in codes)
    return {
        "records": len(held),
        "with_missing": len(found),
        "items": sum(by_item.values()),
        "by_item": [
            {"code": code, "name": items.LABEL_BY_CODE[code], "count": by_item[code]}
            for code in items.ORDER
            if by_item[code]
        ],
        "by_child": children.counted(row.path for (_month, row), _codes in found),
        "rows": [
            {
                "activity_id": row.activity_id,
                "branch": row.name,
                "under": children.name(row.path),
                "month": f"{month:%Y-%m}",
                "items": [items.LABEL_BY_CODE[code] for code in codes],
            }
            for (month, row), codes in found
        ],
    }


def _send_backs(org: Organization, period: Period, children: _Children, today: date) -> dict:
    """The quarter's records sent back for supplementing (退回补充) by a superior, up to
    `today` (a month's records are reviewed after it), and whether the branch answered."""
    branches = {
        pk: (name, path)
        for pk, name, path in Organization.objects.filter(
            path__startswith=org.path, kind=OrgKind.BRANCH
        ).values_list("pk", "name", "path")
    }
    found = [
        s
        for s in review_selectors.send_backs(branches, period.start, today + timedelta(days=1))
        if period.start <= timezone.localdate(s.activity_starts_at) < period.end
    ]
    answered = sum(1 for s in found if s.resubmitted_at is not None)
    overdue = sum(1 for s in found if s.resubmitted_at is None and s.deadline < today)
    return {
        "count": len(found),
        "answered": answered,
        "unanswered": len(found) - answered,
        "overdue": overdue,
        "by_child": children.counted(branches[s.branch_id][1] for s in found),
        "rows": [
            {
                "activity_id": s.activity_id,
                "branch": branches[s.branch_id][0],
                "under": children.name(branches[s.branch_id][1]),
                "date": timezone.localdate(s.activity_starts_at).isoformat(),
                "sent_back": timezone.localdate(s.sent_back_at).isoformat(),
                "reason": s.reason,
                "deadline": s.deadline.isoformat(),
                "answered": s.resubmitted_at is not None,
            }
            for s in sorted(found, key=lambda s: (branches[s.branch_id][1], s.sent_back_at))
        ],
    }


def _in_quarter(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": _at(period.start), f"{field}__lt": _at(period.end)})


def _late_records(org: Organization, period: Period, children: _Children) -> dict:
    """Activities of the quarter entered after the fact (补录) and held."""
    found = list(
        Activity.objects.filter(
            _in_quarter("starts_at", period),
            branch__path__startswith=org.path,
            branch__kind=OrgKind.BRANCH,
            is_late_record=True,
            status=ActivityStatus.CLOSED,
        )
        .order_by("branch__path", "starts_at", "pk")
        .values_list("pk", "branch__name", "branch__path", "title", "starts_at", "late_reason")
    )
    return {
        "count": len(found),
        "by_child": children.counted(row[2] for row in found),
        "rows": [
            {
                "activity_id": pk,
                "branch": branch,
                "under": children.name(path),
                "title": title,
                "date": timezone.localdate(starts).isoformat(),
                "reason": reason,
            }
            for pk, branch, path, title, starts, reason in found
        ],
    }


def _corrections(org: Organization, period: Period, children: _Children) -> dict:
    """Manual attendance corrections proposed for the quarter's activities, by decision."""
    found = list(
        Correction.objects.filter(
            _in_quarter("activity__starts_at", period),
            activity__branch__path__startswith=org.path,
        )
        .order_by("activity__branch__path", "proposed_at", "pk")
        .values_list(
            "pk",
            "activity__branch__name",
            "activity__branch__path",
            "member__name",
            "from_status",
            "to_status",
            "status",
            "reason",
            "activity__starts_at",
        )
    )
    statuses = Counter(row[6] for row in found)
    labels = dict(RequestStatus.choices)
    attendance = dict(AttendanceStatus.choices)
    return {
        "count": len(found),
        "approved": statuses[RequestStatus.APPROVED],
        "refused": statuses[RequestStatus.REFUSED],
        "pending": statuses[RequestStatus.PENDING],
        "by_child": children.counted(row[2] for row in found if row[6] == RequestStatus.APPROVED),
        "rows": [
            {
                "correction_id": pk,
                "branch": branch,
                "under": children.name(path),
                "member": member,
                "from": str(attendance.get(from_status, from_status)),
                "to": str(attendance.get(to_status, to_status)),
                "status": str(labels.get(status, status)),
                "reason": reason,
                "date": timezone.localdate(starts).isoformat(),
            }
            for pk, branch, path, member, from_status, to_status, status, reason, starts in found
        ],
    }


def _checked_q(period: Period, prefix: str = "") -> Q:
    """Spot checks of the quarter's work: of one of its months or of the quarter itself
    (made during it or after: a month is checked once it is over)."""
    return Q(
        **{
            f"{prefix}period_kind__in": ["month", "quarter"],
            f"{prefix}period_start__gte": period.start,
            f"{prefix}period_start__lt": period.end,
        }
    )


def _spot_checks(org: Organization, period: Period, children: _Children) -> dict:
    """The branches of the subtree drawn in spot checks of the quarter's work, and what
    the inspectors found."""
    found = list(
        SpotCheckItem.objects.filter(
            _checked_q(period, "spot_check__"), branch__path__startswith=org.path
        )
        .order_by("branch__path", "spot_check_id", "position")
        .values_list(
            "spot_check_id",
            "branch__name",
            "branch__path",
            "result",
            "finding",
            "spot_check__period_kind",
            "spot_check__period_start",
        )
    )
    results = Counter(row[3] for row in found)
    problems = [row for row in found if row[3] == FindingResult.PROBLEMS]
    return {
        "checks": len({row[0] for row in found}),
        "sampled": len(found),
        "passed": results[FindingResult.PASSED],
        "problems": results[FindingResult.PROBLEMS],
        "pending": results[FindingResult.PENDING],
        "by_child": children.counted(row[2] for row in problems),
        "rows": [
            {
                "spot_check_id": check,
                "branch": branch,
                "under": children.name(path),
                "period": Period(kind, start).label,
                "finding": finding,
            }
            for check, branch, path, _result, finding, kind, start in problems
        ],
    }


def _rectifications(org: Organization, period: Period, children: _Children, today: date) -> dict:
    """Rectifications of the quarter, by where they stand as of `today`: those opened
    from a finding of its spot checks, and those opened directly during it."""
    found = list(
        Rectification.objects.filter(
            _checked_q(period, "finding__spot_check__")
            | Q(finding__isnull=True) & _in_quarter("opened_at", period),
            branch__path__startswith=org.path,
        )
        .order_by("branch__path", "deadline", "pk")
        .values_list("pk", "branch__name", "branch__path", "title", "deadline", "status")
    )
    statuses = Counter(row[5] for row in found)
    labels = dict(RectificationStatus.choices)

    def overdue(status, deadline) -> bool:
        return status == RectificationStatus.OPEN and deadline < today

    return {
        "count": len(found),
        "open": statuses[RectificationStatus.OPEN],
        "answered": statuses[RectificationStatus.ANSWERED],
        "accepted": statuses[RectificationStatus.ACCEPTED],
        "overdue": sum(1 for row in found if overdue(row[5], row[4])),
        "by_child": children.counted(row[2] for row in found),
        "rows": [
            {
                "rectification_id": pk,
                "branch": branch,
                "under": children.name(path),
                "title": title,
                "deadline": deadline.isoformat(),
                "status": str(labels.get(status, status)),
                "overdue": overdue(status, deadline),
            }
            for pk, branch, path, title, deadline, status in found
        ],
    }
