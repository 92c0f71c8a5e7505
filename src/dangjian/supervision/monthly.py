"""Monthly supervision (一月一督查): which month is due on a day, why a branch is listed on
its county's sheet (pure functions, tested as tables), and the facts of a county's branches
for a month that they judge, read in a handful of queries whatever the county's size.

The counties are the organizations directly under the root (the city). A branch is due a
theme day in a month when one of the month's campaigns addresses it (themedays.selectors.
branches_in_scope); only a due branch is listed for the plan, the holding and the sign-in
rate. Overdue rectifications, items missing and records sent back list any branch."""

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.replica import reading_from_replica
from dangjian.registry.models import Organization, OrgKind
from dangjian.scoring.inputs import is_held
from dangjian.scoring.models import BranchPeriodScore, PeriodKind
from dangjian.supervision.models import MonthlySheet, Rectification
from dangjian.supervision.selectors import overdue_q
from dangjian.themedays import selectors as themedays
from dangjian.themedays.models import Activity, ActivityStatus, Campaign

NO_APPROVED_PLAN = "no_approved_plan"
NOT_HELD = "not_held"
LOW_SIGN_IN = "low_sign_in"
ITEMS_MISSING = "items_missing"
SENT_BACK = "sent_back"
OVERDUE_RECTIFICATION = "overdue_rectification"

# In the order of the sheet's columns.
REASONS = {
    NO_APPROVED_PLAN: _("无审核通过的计划"),
    NOT_HELD: _("未开展"),
    LOW_SIGN_IN: _("签到率偏低"),
    ITEMS_MISSING: _("规定动作缺项"),
    SENT_BACK: _("退回未补充"),
    OVERDUE_RECTIFICATION: _("整改逾期"),
}

# A day every month has, so that "from the Nth" means the same in February.
LAST_POLICY_DAY = 28


# The rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    day: int
    sign_in_threshold: int


def policy() -> Policy:
    """The settings' policy, held to what it can mean: a day from 1 to 28, a percent."""
    day = min(max(int(settings.SUPERVISION_MONTHLY_DAY), 1), LAST_POLICY_DAY)
    threshold = min(max(int(settings.SUPERVISION_SIGN_IN_THRESHOLD), 0), 100)
    return Policy(day=day, sign_in_threshold=threshold)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return month_start(month_start(month) - timedelta(days=1))


def month_due(today: date, day: int) -> date:
    """The latest month whose sheets are due on `today`: the month before, from the policy's
    day on; before it, the one before that (whose sheets a job that ran late still makes)."""
    due = previous_month(today)
    return due if today.day >= day else previous_month(due)


@dataclass(slots=True)
class BranchFacts:
    """What the month's supervision knows of one branch. `items_missing` and `sent_back`
    are None when the sheet is made without that column."""

    branch_id: int
    name: str
    path: str
    due: bool = False
    approved: bool = False
    held: bool = False
    roster: int = 0
    checked_in: int = 0
    items_missing: int | None = None
    sent_back: int | None = None
    overdue_rectifications: int = 0

    @property
    def sign_in_percent(self) -> float | None:
        if not self.held or not self.roster:
            return None
        return round(self.checked_in * 100 / self.roster, 1)


def reasons_of(facts: BranchFacts, threshold: int) -> list[str]:
    """Why the branch is listed (none: it is not), in the sheet's column order. A branch with
    no approved plan has not held its theme day either, and is listed for both. The sign-in
    rate counts only for a held activity with a non-flowing roster."""
    reasons = []
    if facts.due and not facts.approved:
        reasons.append(NO_APPROVED_PLAN)
    if facts.due and not facts.held:
        reasons.append(NOT_HELD)
    if facts.held and facts.roster and facts.checked_in * 100 < threshold * facts.roster:
        reasons.append(LOW_SIGN_IN)
    if facts.items_missing:
        reasons.append(ITEMS_MISSING)
    if facts.sent_back:
        reasons.append(SENT_BACK)
    if facts.overdue_rectifications:
        reasons.append(OVERDUE_RECTIFICATION)
    return reasons


@dataclass(slots=True)
class SheetRow:
    facts: BranchFacts
    reasons: list[str]


def listed(facts: Iterable[BranchFacts], threshold: int) -> list[SheetRow]:
    return [SheetRow(f, r) for f in facts if (r := reasons_of(f, threshold))]


def reason_counts(rows: list[SheetRow]) -> dict[str, int]:
    counts = Counter(reason for row in rows for reason in row.reasons)
    return {reason: counts[reason] for reason in REASONS}


def content_hash(county_id: int, month: date, threshold: int, rows: list[SheetRow]) -> str:
    """SHA-256 of what the sheet says, as canonical JSON: the same facts give the same hash
    whenever and wherever the files are drawn."""
    payload = {
        "county": county_id,
        "month": month.isoformat(),
        "threshold": threshold,
        "rows": [
            [
                r.facts.branch_id,
                r.facts.name,
                r.reasons,
                r.facts.roster,
                r.facts.checked_in,
                r.facts.items_missing,
                r.facts.sent_back,
                r.facts.overdue_rectifications,
            ]
            for r in rows
        ],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# The reads ---------------------------------------------------------------------------------

# Another part's count per branch of the county, for the month, at the time of the run, given
# the county's facts so far: fn(county, facts, month, now) -> {branch id: count}.
Column = Callable[[Organization, list[BranchFacts], date, datetime], dict[int, int]]


def counties() -> QuerySet[Organization]:
    root_depth = 1
    return Organization.objects.filter(depth=root_depth + 1, is_active=True).exclude(
        kind=OrgKind.BRANCH
    )


def _due_branch_ids(county: Organization, month: date) -> set[int]:
    """The county's branches that one of the month's campaigns addresses (issued above the
    county or inside it): a query for each of those few campaigns."""
    due: set[int] = set()
    campaigns = Campaign.objects.filter(month=month, parent__isnull=True).select_related("org")
    for campaign in campaigns:
        path = campaign.org.path
        if county.path.startswith(path) or path.startswith(county.path):
            within = themedays.branches_in_scope(campaign, within=county)
            due.update(within.values_list("pk", flat=True))
    return due


@reading_from_replica()
def county_facts(
    county: Organization,
    month: date,
    *,
    now: datetime | None = None,
    items_missing: Column | None = None,
    sent_back: Column | None = None,
) -> list[BranchFacts]:
    """Every active branch of the county, in tree order, with the month's facts: five
    queries, one for each of the month's campaigns that addresses the county, and one for
    each of the other parts' columns given."""
    now = now or clock.now()
    month = month_start(month)
    due = _due_branch_ids(county, month)
    facts: dict[int, BranchFacts] = {}
    for pk, name, path in (
        Organization.objects.filter(
            path__startswith=county.path, kind=OrgKind.BRANCH, is_active=True
        )
        .order_by("path")
        .values_list("pk", "name", "path")
    ):
        facts[pk] = BranchFacts(pk, name, path, due=pk in due)
    for activity in (
        Activity.objects.filter(campaign__month=month, branch__path__startswith=county.path)
        .filter(status__in=[ActivityStatus.APPROVED, ActivityStatus.CLOSED])
        .only("branch_id", "status", "starts_at", "ends_at")
        .order_by()
    ):
        f = facts.get(activity.branch_id)
        if f is None:
            continue
        f.approved = True
        f.held = f.held or is_held(activity, now)
    for branch_id, roster, checked_in in (
        BranchPeriodScore.objects.filter(
            kind=PeriodKind.MONTH, period_start=month, branch__path__startswith=county.path
        )
        .values_list("branch_id", "roster_non_flowing", "checked_in_non_flowing")
        .order_by()
    ):
        if (f := facts.get(branch_id)) is not None:
            f.roster, f.checked_in = roster, checked_in
    for branch_id, n in (
        Rectification.objects.filter(
            overdue_q(timezone.localdate(now)), branch__path__startswith=county.path
        )
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
        .order_by()
    ):
        if (f := facts.get(branch_id)) is not None:
            f.overdue_rectifications = n
    found = list(facts.values())
    for column, attr in ((items_missing, "items_missing"), (sent_back, "sent_back")):
        if column is None:
            continue
        counts = column(county, found, month, now)
        for f in found:
            setattr(f, attr, counts.get(f.branch_id, 0))
    return found


def sheets_for(actor, *, month: date | None = None) -> QuerySet[MonthlySheet]:
    """The sheets in the actor's scope (the counties they administer or are above), newest
    month first."""
    qs = permissions.scoped_monthly_sheets(actor).select_related("county", "generated_by")
    if month is not None:
        qs = qs.filter(month=month_start(month))
    return qs.order_by("-month", "county__path")
