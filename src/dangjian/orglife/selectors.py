"""Reads of organization life: which required items of activities are missing, one
activity's items with their evidence, a branch's dues register and who has not paid for a
month. Pages and the API fetch the activity or branch through `permissions` first."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import FilteredRelation, Q
from django.utils import timezone

from dangjian.core import clock
from dangjian.core.batching import chunks
from dangjian.learning.models import PackageStatus, StudyPackage
from dangjian.orglife import items as item_rules
from dangjian.orglife import register
from dangjian.orglife.models import DuesBase, DuesRecord, ItemEvidence
from dangjian.registry.models import Member, Organization
from dangjian.themedays import items as codes
from dangjian.themedays.models import Activity, ActivityStatus

# Ids a query takes at once: below SQLite's limit on bound parameters.
_CHUNK = 5000


def missing_items(activity_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each activity (that exists), the codes of the standard required items on its
    agenda that are not marked done, in the standard order; [] when none is missing. One
    query for up to 5,000 activities (the agendas joined with the items marked done).
    Callers pass activities already in the actor's scope."""
    ids = sorted({int(i) for i in activity_ids})
    agendas: dict[int, list] = {}
    done: dict[int, set[str]] = defaultdict(set)
    for batch in chunks(ids, _CHUNK):
        rows = (
            Activity.objects.filter(pk__in=batch)
            .annotate(
                done=FilteredRelation("item_evidence", condition=Q(item_evidence__is_done=True))
            )
            .values_list("pk", "agenda", "done__item")
        )
        for pk, agenda, item in rows:
            agendas[pk] = agenda
            if item is not None:
                done[pk].add(item)
    return {
        pk: [code for code in codes.codes_of(agenda) if code not in done[pk]]
        for pk, agenda in agendas.items()
    }


def held_q() -> Q:
    """Activities held: approved and started, or closed."""
    return Q(status=ActivityStatus.CLOSED) | Q(
        status=ActivityStatus.APPROVED, starts_at__lte=clock.now()
    )


def missing_item_counts(org: Organization, month: date) -> dict[int, int]:
    """For each branch under `org` (itself included) with a held theme day of the month's
    campaigns, how many of its required items are missing (0 when none): for the monthly
    supervision and the bulletin. Two queries."""
    activities = dict(
        Activity.objects.filter(
            held_q(), campaign__month=month, branch__path__startswith=org.path
        ).values_list("pk", "branch_id")
    )
    counts: dict[int, int] = dict.fromkeys(activities.values(), 0)
    for activity_id, missing in missing_items(activities).items():
        counts[activities[activity_id]] += len(missing)
    return counts


def month_of(activity: Activity) -> date:
    """The month an activity counts for: its campaign's, else the month it starts in."""
    if activity.campaign_id is not None and activity.campaign is not None:
        return activity.campaign.month
    return timezone.localtime(activity.starts_at).date().replace(day=1)


def branch_paid_in(branch_id: int, month: date) -> bool:
    """The dues item's evidence: the branch has dues records for the month."""
    return DuesRecord.objects.filter(branch_id=branch_id, month=month).exists()


def packages_for(activity: Activity) -> list[StudyPackage]:
    """The study packages that may show the study item: published for the activity's month
    by its branch's organizations (the city's and its county's add-on)."""
    path = activity.branch.path
    step = Organization.steplen
    return list(
        StudyPackage.objects.filter(
            status=PackageStatus.PUBLISHED,
            month=month_of(activity),
            org__path__in=[path[:i] for i in range(step, len(path) + 1, step)],
        ).order_by("org__path", "pk")
    )


@dataclass
class ItemRow:
    code: str
    label: str
    needs: str
    is_on_agenda: bool
    is_evidence_required: bool
    evidence: ItemEvidence | None
    has_evidence: bool
    # What a record of the item is written with (orglife.items.FIELDS) and its text's name.
    fields: tuple[str, ...] = ()
    text_label: str = ""

    @property
    def is_done(self) -> bool:
        return self.evidence is not None and self.evidence.is_done

    @property
    def is_missing(self) -> bool:
        return self.is_on_agenda and not self.is_done


@dataclass
class DuesMonth:
    month: date
    paid: int
    unpaid: list[Member] = field(default_factory=list)


@dataclass
class ItemSheet:
    activity: Activity
    rows: list[ItemRow]
    dues: DuesMonth

    @property
    def missing(self) -> list[str]:
        return [row.code for row in self.rows if row.is_missing]


def item_sheet(activity: Activity) -> ItemSheet:
    """The six items of an activity fetched in scope: on its agenda or not, done or not,
    with their evidence (photos and package loaded), and the dues of its month."""
    evidence = {
        e.item: e
        for e in ItemEvidence.objects.filter(activity=activity)
        .select_related("package", "recorded_by")
        .prefetch_related("photos")
    }
    month = month_of(activity)
    dues = dues_month(activity.branch, month)
    on_agenda = set(codes.codes_of(activity.agenda))
    rows = []
    for code in codes.ORDER:
        record = evidence.get(code)
        facts = facts_of(record, has_dues=dues.paid > 0)
        rows.append(
            ItemRow(
                code=code,
                label=codes.LABEL_BY_CODE[code],
                needs=str(item_rules.NEEDS[code]),
                is_on_agenda=code in on_agenda,
                is_evidence_required=item_rules.evidence_required(code),
                evidence=record,
                has_evidence=item_rules.has_evidence(code, facts),
                fields=item_rules.FIELDS[code],
                text_label=item_rules.text_label(code),
            )
        )
    return ItemSheet(activity=activity, rows=rows, dues=dues)


def facts_of(record: ItemEvidence | None, *, has_dues: bool) -> item_rules.Facts:
    """What a stored record holds (its photos prefetched or read)."""
    if record is None:
        return item_rules.Facts(has_dues=has_dues)
    return item_rules.Facts(
        has_text=bool(record.text.strip()),
        has_matters=bool(record.matters.strip()),
        has_decisions=bool(record.decisions.strip()),
        has_photo=record.pk is not None and bool(record.photos.all()),
        has_package=record.package_id is not None,
        has_dues=has_dues,
    )


# The dues register ------------------------------------------------------------------------


def _register_members(branch: Organization, year: int) -> list[Member]:
    """The branch's members for a year's register: its active members, and those who paid
    it that year and have since left or moved."""
    paid_here = DuesRecord.objects.filter(branch=branch, month__year=year).values("member_id")
    return list(
        Member.objects.filter(Q(branch=branch, is_active=True) | Q(pk__in=paid_here))
        .select_related("branch")
        .order_by("name", "pk")
    )


def _owing_months(member: Member, months: list[date]) -> list[date]:
    """The months a member owes the branch: from the month they joined the Party, while
    they belong to it (a member who left or moved owes nothing after the register's
    present)."""
    joined = member.join_date.replace(day=1)
    owing = [m for m in months if m >= joined]
    if member.left_at is not None:
        owing = [m for m in owing if m <= member.left_at.replace(day=1)]
    return owing


@dataclass
class RegisterRow:
    member: Member
    base: DuesBase | None
    # Every month of the year → the record paid for it (None: nothing).
    records: dict[date, DuesRecord | None]
    arrears: register.Arrears

    @property
    def monthly_amount(self) -> Decimal | None:
        return None if self.base is None else self.base.monthly_amount

    @property
    def paid_total(self) -> Decimal:
        return sum((r.amount for r in self.records.values() if r is not None), Decimal("0.00"))


@dataclass
class Register:
    branch: Organization
    year: int
    months: list[date]
    # The months counted for arrears: the year's up to the present.
    counted: list[date]
    rows: list[RegisterRow]

    @property
    def owed_total(self) -> Decimal:
        return sum((row.arrears.owed for row in self.rows), Decimal("0.00"))

    @property
    def paid_total(self) -> Decimal:
        return sum((row.paid_total for row in self.rows), Decimal("0.00"))


def dues_register(branch: Organization, year: int, *, today: date | None = None) -> Register:
    """The branch's register for a year (members × months) with each member's arrears over
    the months up to today's. Three queries whatever the branch's size."""
    today = today or clock.today()
    months = register.months_of(year)
    counted = register.months_of(year, through=today) if year <= today.year else []
    members = _register_members(branch, year)
    ids = [m.pk for m in members]
    # A member of the branch now counts what they paid anywhere (before moving in, to their
    # old branch); one who moved away, only what they paid here.
    here = [m.pk for m in members if m.branch_id == branch.pk]
    records: dict[int, dict[date, DuesRecord]] = defaultdict(dict)
    for record in DuesRecord.objects.filter(
        Q(member_id__in=here) | Q(member_id__in=ids, branch=branch), month__year=year
    ).select_related("branch"):
        records[record.member_id][record.month] = record
    bases = {b.member_id: b for b in DuesBase.objects.filter(member_id__in=ids, year=year)}
    rows = []
    for member in members:
        paid = records[member.pk]
        base = bases.get(member.pk)
        owing = _owing_months(member, counted)
        if member.branch_id != branch.pk:
            # Moved away: this branch holds only the months it was paid for.
            owing = [m for m in owing if m in paid]
        arrears = register.arrears(
            owing,
            None if base is None else base.monthly_amount,
            {m: r.amount for m, r in paid.items()},
        )
        rows.append(RegisterRow(member, base, {m: paid.get(m) for m in months}, arrears))
    return Register(branch=branch, year=year, months=months, counted=counted, rows=rows)


def member_dues(member: Member, year: int, *, today: date | None = None) -> RegisterRow:
    """A member's own year of dues: what they paid each month (to any branch), their base
    and their arrears up to today's month. Two queries."""
    today = today or clock.today()
    counted = register.months_of(year, through=today) if year <= today.year else []
    paid = {
        r.month: r
        for r in DuesRecord.objects.filter(member=member, month__year=year).select_related("branch")
    }
    base = DuesBase.objects.filter(member=member, year=year).first()
    arrears = register.arrears(
        _owing_months(member, counted),
        None if base is None else base.monthly_amount,
        {m: r.amount for m, r in paid.items()},
    )
    months = register.months_of(year)
    return RegisterRow(member, base, {m: paid.get(m) for m in months}, arrears)


def dues_month(branch: Organization, month: date) -> DuesMonth:
    """How many of the branch's members paid for a month, and who has not (active members
    who had joined by then)."""
    paid_ids = set(
        DuesRecord.objects.filter(branch=branch, month=month).values_list("member_id", flat=True)
    )
    members = Member.objects.filter(branch=branch, is_active=True).order_by("name", "pk")
    unpaid = [m for m in members if m.pk not in paid_ids and m.join_date.replace(day=1) <= month]
    return DuesMonth(month=month, paid=len(paid_ids), unpaid=unpaid)


def unpaid_members(branch: Organization, month: date) -> list[Member]:
    """The branch's members who have not paid for a month."""
    return dues_month(branch, month).unpaid
