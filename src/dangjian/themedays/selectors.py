"""Reads for theme days shared by pages, the API and the services."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from dangjian import permissions
from dangjian.core import clock, labels, site
from dangjian.core.subqueries import count_per
from dangjian.registry.models import Member, Organization, OrgKind, Role
from dangjian.registry.selectors import COUNTY_DEPTH, place_names
from dangjian.themedays.models import (
    Activity,
    ActivityEvent,
    ActivityStatus,
    Campaign,
    RosterEntry,
)

OVERDUE_WARNING_DAYS = 3
STAGES = ("none", "draft", "submitted", "approved", "held", "closed")


def branches_in_scope(campaign: Campaign, within: Organization | None = None) -> QuerySet:
    """The active branches a campaign is addressed to (its subtree, its sectors), optionally
    narrowed to one organization's subtree."""
    qs = Organization.objects.filter(
        path__startswith=campaign.org.path, kind=OrgKind.BRANCH, is_active=True
    )
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    if campaign.sectors:
        qs = qs.filter(sector__in=campaign.sectors)
    return qs


def main_campaign(campaign: Campaign) -> Campaign:
    """The campaign a supplement adds to (a supplement is planned, shown and supplemented as
    part of it), or the campaign itself."""
    return campaign.parent if campaign.is_supplement else campaign


def campaign_applies_to(campaign: Campaign, branch: Organization) -> bool:
    return branch.path.startswith(campaign.org.path) and (
        not campaign.sectors or branch.sector in campaign.sectors
    )


def _self_and_ancestor_paths(org: Organization) -> list[str]:
    step = Organization.steplen
    return [org.path[: step * i] for i in range(1, len(org.path) // step + 1)]


def supplements_for(campaign: Campaign, branch: Organization) -> list[Campaign]:
    """The supplements of lower organizations on the branch's way up to the campaign."""
    ancestors = _self_and_ancestor_paths(branch)
    return list(
        campaign.supplements.filter(org__path__in=ancestors)
        .select_related("org")
        .order_by("org__depth", "id")
    )


def required_items_for(campaign: Campaign, branch: Organization) -> list[str]:
    items = list(campaign.required_items)
    for supplement in supplements_for(campaign, branch):
        items += [i for i in supplement.required_items if i not in items]
    return items


def campaign_attachment(campaign: Campaign, attachment_id: int):
    """One of this (already scope-checked) campaign's attachments, or not_found."""
    attachment = campaign.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise permissions.not_found()
    return attachment


def with_roster_size(qs: QuerySet) -> QuerySet:
    """Annotate `n_roster` (what `roster_size` counts) and prefetch the history, so that
    a page of activities is described in a fixed number of queries."""
    frozen = count_per(RosterEntry.objects.filter(activity_id=OuterRef("pk")), "activity_id")
    live = count_per(
        Member.objects.filter(branch_id=OuterRef("branch_id"), is_active=True), "branch_id"
    )
    return qs.annotate(
        n_roster=Case(When(roster_frozen_at__isnull=False, then=frozen), default=live)
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=ActivityEvent.objects.select_related("actor"),
            to_attr="events_with_actor",
        )
    )


def events_of(activity: Activity):
    """The activity's history with each actor: prefetched by `with_roster_size` for a
    page of activities, otherwise one query."""
    prefetched = getattr(activity, "events_with_actor", None)
    if prefetched is not None:
        return prefetched
    return activity.events.select_related("actor")


def stage_of(activity: Activity | None, now: datetime | None = None) -> str:
    if activity is None:
        return "none"
    if activity.status != ActivityStatus.APPROVED:
        return _stage(activity.status, False)
    return _stage(activity.status, activity.starts_at <= (now or clock.now()))


def _stage(status: str, started: bool) -> str:
    if status == ActivityStatus.CANCELLED:
        return "none"
    if status in (ActivityStatus.DRAFT, ActivityStatus.REJECTED):
        return "draft"
    if status == ActivityStatus.SUBMITTED:
        return "submitted"
    if status == ActivityStatus.APPROVED:
        return "held" if started else "approved"
    return "closed"


class ProgressRow(NamedTuple):
    """A tuple of plain values: Python's collector stops tracking those, so a city's
    thousands of rows per view do not set off full collections of the whole process."""

    branch_id: int
    branch_name: str
    sector: str
    stage: str
    activity_id: int | None
    is_late_record: bool
    overdue: bool
    county: str = ""
    town: str = ""


@dataclass
class Progress:
    counts: dict[str, int]
    by_sector: dict[str, dict[str, int]]
    rows: list[ProgressRow] = field(default_factory=list)
    overdue: int = 0


def campaign_progress(
    campaign: Campaign, within: Organization, *, today: date | None = None
) -> Progress:
    """Where every branch in scope stands for a campaign: two queries whatever the size.
    The activities come back as plain values, whether each has started decided in the
    query: building a city's model instances cost more than the query."""
    today = today or clock.today()
    started = ExpressionWrapper(Q(starts_at__lte=clock.now()), output_field=BooleanField())
    live = {
        branch_id: (pk, _stage(status, has_started), is_late)
        for branch_id, pk, status, has_started, is_late in Activity.objects.filter(
            campaign=campaign, branch__path__startswith=within.path
        )
        .exclude(status=ActivityStatus.CANCELLED)
        .annotate(started=started)
        .values_list("branch_id", "pk", "status", "started", "is_late_record")
        .order_by()
    }
    deadline_near = today >= campaign.holding_until - timedelta(days=OVERDUE_WARNING_DAYS)
    counts: Counter = Counter(dict.fromkeys(STAGES, 0))
    by_sector: dict[str, Counter] = defaultdict(Counter)
    rows = []
    for branch_id, name, sector, county, town in (
        branches_in_scope(campaign, within)
        .annotate(**place_names())
        .order_by("path")
        .values_list("pk", "name", "sector", "county_name", "town_name")
    ):
        activity_id, stage, is_late = live.get(branch_id, (None, "none", False))
        overdue = deadline_near and stage in ("none", "draft", "submitted")
        counts[stage] += 1
        by_sector[sector][stage] += 1
        rows.append(
            ProgressRow(
                branch_id,
                name,
                sector,
                stage,
                activity_id,
                is_late,
                overdue,
                county or "",
                town or "",
            )
        )
    return Progress(
        counts=dict(counts),
        by_sector={s: {st: c[st] for st in STAGES} for s, c in sorted(by_sector.items())},
        rows=rows,
        overdue=sum(1 for r in rows if r.overdue),
    )


class CountyProgress(NamedTuple):
    county_id: int | None  # None: the branches directly under the city
    name: str
    branches: int
    held: int

    @property
    def not_held(self) -> int:
        return self.branches - self.held

    @property
    def rate(self) -> int | None:
        """Percent held, rounded down (None without branches)."""
        return self.held * 100 // self.branches if self.branches else None


def county_progress(campaign: Campaign, within: Organization) -> list[CountyProgress]:
    """Per county of `within`'s subtree, how many branches the campaign addresses and how
    many of them have held its activity (approved and started, or closed): one grouped
    query, and one for the counties' names, in tree order."""
    held = Activity.objects.filter(campaign=campaign, branch=OuterRef("pk")).filter(
        Q(status=ActivityStatus.APPROVED, starts_at__lte=clock.now())
        | Q(status=ActivityStatus.CLOSED)
    )
    grouped = list(
        branches_in_scope(campaign, within)
        .annotate(county_path=Substr("path", 1, COUNTY_DEPTH * Organization.steplen))
        .values("county_path")
        .annotate(n=Count("pk"), held=Count("pk", filter=Exists(held)))
        .values_list("county_path", "n", "held")
        .order_by("county_path")
    )
    # A branch right under the city is its own "county": it has none.
    counties = {
        path: (pk, name)
        for path, pk, name in Organization.objects.filter(
            path__in=[path for path, _n, _h in grouped], depth=COUNTY_DEPTH
        )
        .exclude(kind=OrgKind.BRANCH)
        .values_list("path", "pk", "name")
    }
    rows: dict[int | None, list] = {}
    for path, n, held_count in grouped:
        pk, name = counties.get(path, (None, str(_("直属党支部"))))
        row = rows.setdefault(pk, [name, 0, 0])
        row[1] += n
        row[2] += held_count
    return [CountyProgress(pk, name, n, h) for pk, (name, n, h) in rows.items()]


def political_birthdays(branch: Organization, month: int) -> list[Member]:
    """Active members whose Party anniversary (join date) falls in the month."""
    return list(
        Member.objects.filter(branch=branch, is_active=True, join_date__month=month).order_by(
            "join_date__day", "name"
        )
    )


def campaigns_for_branch(branch: Organization, month: date | None = None) -> list[Campaign]:
    """Top-level campaigns that apply to a branch (issued on its way up), newest first."""
    ancestors = _self_and_ancestor_paths(branch)
    qs = Campaign.objects.filter(org__path__in=ancestors, parent__isnull=True).select_related("org")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    return [c for c in qs.order_by("-month", "-id") if campaign_applies_to(c, branch)]


def current_activity_for_branch(branch: Organization, campaign: Campaign | None) -> Activity | None:
    if campaign is None:
        return None
    return (
        Activity.objects.filter(branch=branch, campaign=campaign)
        .exclude(status=ActivityStatus.CANCELLED)
        .first()
    )


def review_queue(actor) -> QuerySet:
    """Submitted plans the actor may review: branches strictly below an org they administer."""
    return (
        Activity.objects.filter(status=ActivityStatus.SUBMITTED)
        .filter(permissions.admin_above_q(actor, "branch__path"))
        .select_related("branch", "campaign")
        .order_by("submitted_at", "id")
    )


def checkin_url(activity: Activity) -> str | None:
    """The absolute address the QR poster encodes (the member's check-in page)."""
    if not activity.checkin_token:
        return None
    return site.absolute_url(f"/m/checkin/{activity.checkin_token}/")


# For the pages (console and phone) ------------------------------------------------------

STAGE_LABELS = {
    "none": _("未制定计划"),
    "draft": _("草稿"),
    "submitted": _("待审核"),
    "approved": _("已通过"),
    "held": _("已开展"),
    "closed": _("已结束"),
}
EVENT_LABELS = labels.ACTIVITY_EVENTS


def campaigns_for_org(org: Organization) -> list[Campaign]:
    """The top-level campaigns an organization works with, newest month first: for a
    branch, those addressed to it; otherwise those issued by it, by its superiors, or
    inside its subtree."""
    if org.kind == OrgKind.BRANCH:
        return campaigns_for_branch(org)
    qs = Campaign.objects.filter(
        Q(org__path__in=_self_and_ancestor_paths(org)) | Q(org__path__startswith=org.path),
        parent__isnull=True,
    )
    return list(qs.select_related("org").order_by("-month", "-id"))


def visible_supplements(campaign: Campaign, user) -> list[Campaign]:
    """The supplements a user may see: those of organizations in their admin scope, or
    on the way up from an organization they administer or from their own branch (the
    requirements that bind them)."""
    paths = permissions.standing_paths(user)
    supplements = campaign.supplements.select_related("org").order_by("org__depth", "id")
    return [
        s
        for s in supplements
        if any(p.startswith(s.org.path) or s.org.path.startswith(p) for p in paths)
    ]


def supplement_orgs(user, campaign: Campaign) -> list[Organization]:
    """The organizations on which the user holds an admin role that may add a supplement
    to the campaign: strictly below its organization, and not branches."""
    return list(
        Organization.objects.filter(
            role_grants__user=user,
            role_grants__role=Role.ADMIN,
            is_active=True,
            path__startswith=campaign.org.path,
        )
        .exclude(pk=campaign.org_id)
        .exclude(kind=OrgKind.BRANCH)
        .distinct()
        .order_by("path")
    )


def progress_scope(user, campaign: Campaign) -> Organization | None:
    """Where a superior's progress view of a campaign starts: the campaign's organization
    for its admins, otherwise the outermost organization the user administers inside it."""
    paths = permissions.admin_paths(user)
    if any(campaign.org.path.startswith(p) for p in paths):
        return campaign.org
    inside = sorted(p for p in paths if p.startswith(campaign.org.path))
    if not inside:
        return None
    return Organization.objects.get(path=inside[0])


@dataclass
class ThemeDay:
    """This month's theme day as a branch sees it: the campaign, what its superiors'
    supplements add, and the branch's live plan (if any)."""

    campaign: Campaign
    supplements: list[Campaign]
    required_items: list[str]
    optional_items: list[str]
    activity: Activity | None


def theme_day(branch: Organization, on: date | None = None) -> ThemeDay | None:
    on = on or clock.today()
    campaigns = campaigns_for_branch(branch, month=on)
    if not campaigns:
        return None
    campaign = campaigns[0]
    supplements = supplements_for(campaign, branch)
    optional = list(campaign.optional_items)
    for supplement in supplements:
        optional += [i for i in supplement.optional_items if i not in optional]
    return ThemeDay(
        campaign=campaign,
        supplements=supplements,
        required_items=required_items_for(campaign, branch),
        optional_items=optional,
        activity=current_activity_for_branch(branch, campaign),
    )


def branch_plans(branch: Organization, limit: int = 6) -> list[tuple[Campaign, Activity | None]]:
    """The branch's latest campaigns with its live plan for each (two queries)."""
    campaigns = campaigns_for_branch(branch)[:limit]
    live = {
        a.campaign_id: a
        for a in Activity.objects.filter(branch=branch, campaign__in=campaigns).exclude(
            status=ActivityStatus.CANCELLED
        )
    }
    return [(c, live.get(c.pk)) for c in campaigns]


def administered_branches(user) -> QuerySet[Organization]:
    """The branches on which the user holds an admin role themselves (a secretary's own)."""
    return (
        Organization.objects.filter(
            role_grants__user=user,
            role_grants__role=Role.ADMIN,
            kind=OrgKind.BRANCH,
            is_active=True,
        )
        .distinct()
        .order_by("path")
    )


def history_of(activity: Activity) -> QuerySet:
    return activity.events.select_related("actor").order_by("at", "id")


def distribution_status(campaign: Campaign) -> str:
    """not_distributed, queued (the background work has not finished) or done."""
    if campaign.distribution_requested_at is None:
        return "not_distributed"
    if campaign.distributed_at is not None and (
        campaign.distributed_at >= campaign.distribution_requested_at
    ):
        return "done"
    return "queued"
