"""The demo's supervision cycle (docs/product.md "Supervision"): the theme days of the last
finished quarter and of the months since (simulated, as `manage.py seed --months` does), so
that what supervision reads has figures, with the evidence of their required items (most
branches record them all; some miss one or two); then, through the real services and with
the demo logins as actors, last month's monthly supervision sheets (一月一督查), the
quarter's bulletin published (一季一通报), the quarter's awards selected and published, one
record of the demo branch sent back for supplementing (退回补充), the year's appraisal
(一年一考核) generated with the demo county's grades proposed, and the demo branch's dues
register for the year so far (two members in arrears).

Every step is skipped when what it makes is there already, so a second seed changes
nothing. Seeded at the demo scale only: at the city scale these take minutes (bench/)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from dangjian.core import clock
from dangjian.demodata import history, learning_history, simulation, this_month
from dangjian.orglife import services as orglife
from dangjian.orglife.models import DuesBase, DuesCategory, DuesRecord, ItemEvidence, PayMethod
from dangjian.registry.models import Member, Organization, User
from dangjian.scoring.formula import Period, quarter_of
from dangjian.supervision import (
    appraisal,
    award_selectors,
    awards,
    bulletins,
    monthly_services,
    reviews,
)
from dangjian.supervision.models import (
    Appraisal,
    AppraisalCounty,
    AwardRound,
    AwardRoundStatus,
    Bulletin,
    BulletinStatus,
    MonthlySheet,
    RecordReview,
)
from dangjian.themedays import items
from dangjian.themedays.models import Activity, ActivityStatus

# The demo member nominated as a model member (实践标兵): 李秀英 of the demo branch.
MODEL_MEMBER_PHONE = "13900000004"
NOMINATION_DAYS = 14
SEND_BACK_DAYS = 7
CASE_TITLE = "“院坝夜话”收集群众微心愿"
CASE_TEXT = (
    "红星村党支部把主题党日搬到村民院坝，党员逐户收集群众急难愁盼，"
    "形成“微心愿”清单，由党员认领办理、按月公开，全年办结心愿四十余件。"
)

# What a simulated record says it did for each item (the services keep text or photos).
ITEM_TEXT = {
    items.RequiredItem.CHARTER: "全体党员集体诵读党章总纲和党员的权利义务部分。",
    items.RequiredItem.DUES: "支部委员收缴本月党费，现场登记。",
    items.RequiredItem.STUDY: "学习本月学习包，围绕主题交流研讨。",
    items.RequiredItem.ORG_LIFE: "召开支部党员大会，会议记录已整理归档。",
    items.RequiredItem.DELIBERATION: "",
    items.RequiredItem.DISCLOSURE: "在村务公开栏公开本月党费收缴和议事结果。",
}
MATTERS = "村集体产业分红方案；冬季道路维修安排。"
DECISIONS = "分红方案经党员大会表决通过，提交村民代表会议；道路维修由党员责任区分段负责。"
# The share of simulated records with every item done; the others miss one or two.
ALL_DONE_SHARE = 0.8
# The item the demo branch left out last month: what its record is sent back for.
DEMO_MISSING_ITEM = items.RequiredItem.DISCLOSURE


@dataclass
class SupervisionFacts:
    months_simulated: int = 0
    items_recorded: int = 0
    sheets_made: int = 0
    bulletins_published: int = 0
    rounds_published: int = 0
    records_sent_back: int = 0
    appraisals_generated: int = 0
    dues_recorded: int = 0
    history_made: int = 0
    this_month_changed: bool = False
    # What a visitor finds, for the seed's summary.
    summary: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.months_simulated
            or self.items_recorded
            or self.sheets_made
            or self.bulletins_published
            or self.rounds_published
            or self.records_sent_back
            or self.appraisals_generated
            or self.dues_recorded
            or self.history_made
            or self.this_month_changed
        )


def last_quarter(today: date) -> Period:
    """The quarter before `today`'s."""
    current = quarter_of(today).start
    return quarter_of(current - timedelta(days=1))


# The demo's history: the twelve months before this one.
HISTORY_MONTHS = 12


def months_to_simulate(today: date) -> int:
    """The year before this month (`HISTORY_MONTHS`), which holds the last finished
    quarter and the months since."""
    return HISTORY_MONTHS


def last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _quarter_number(period: Period) -> int:
    return (period.start.month - 1) // 3 + 1


def _item_evidence(root: Organization, months: list[date], village: Organization, seed: int) -> int:
    """The required items' evidence of the simulated months' closed records, written as the
    simulation writes the records (the service takes its time from the clock and refuses
    once a record's window is over): per record a row for each item of its agenda, done or
    not. The demo branch's record of the last month misses `DEMO_MISSING_ITEM`."""
    if not months:
        return 0
    rows = []
    records = (
        Activity.objects.filter(
            campaign__org=root,
            campaign__parent__isnull=True,
            campaign__month__in=months,
            status=ActivityStatus.CLOSED,
        )
        .order_by("pk")
        .values_list("pk", "branch_id", "campaign__month", "agenda", "ends_at")
    )
    for pk, branch_id, month, agenda, ends_at in records:
        rng = random.Random(f"{seed}:items:{month:%Y-%m}:{branch_id}")
        codes = items.codes_of(agenda)
        missed = set()
        if branch_id == village.pk and month == months[-1]:
            missed = {DEMO_MISSING_ITEM}
        elif codes and rng.random() >= ALL_DONE_SHARE:
            missed = set(rng.sample(codes, k=min(len(codes), rng.randint(1, 2))))
        for code in codes:
            done = code not in missed
            deliberation = code == items.RequiredItem.DELIBERATION and done
            rows.append(
                ItemEvidence(
                    activity_id=pk,
                    item=code,
                    is_done=done,
                    text=ITEM_TEXT[code] if done else "",
                    matters=MATTERS if deliberation else "",
                    decisions=DECISIONS if deliberation else "",
                    recorded_at=ends_at,
                )
            )
    ItemEvidence.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _monthly_sheets(city_admin: User, month: date, facts: SupervisionFacts) -> None:
    run = monthly_services.run_monthly_supervision(actor=city_admin, month=month)
    facts.sheets_made = len(run.made)
    sheets = MonthlySheet.objects.filter(month=month).count()
    facts.summary.append(f"monthly supervision sheets of {month:%Y-%m}: {sheets} counties")


def _bulletin(root: Organization, city_admin: User, quarter: Period, facts: SupervisionFacts):
    year, number = quarter.start.year, _quarter_number(quarter)
    published = Bulletin.objects.filter(
        org=root, year=year, quarter=number, status=BulletinStatus.PUBLISHED
    )
    if not published.exists():
        draft = bulletins.generate_bulletin(actor=city_admin, org=root, year=year, quarter=number)
        bulletins.publish_bulletin(actor=city_admin, bulletin=draft)
        facts.bulletins_published = 1
    facts.summary.append(f"the city's bulletin of {year}-Q{number}: published (PDF, XLSX)")


def _top_candidate(round_: AwardRound, county: Organization, prefer: Organization):
    rows = [r for r in award_selectors.branch_candidates(round_, county) if r.is_candidate]
    chosen = next((r for r in rows if r.org_id == prefer.pk), rows[0] if rows else None)
    return Organization.objects.get(pk=chosen.org_id) if chosen else None


def _awards(
    *,
    root: Organization,
    county: Organization,
    village: Organization,
    city_admin: User,
    quarter: Period,
    facts: SupervisionFacts,
) -> None:
    """A round for the quarter, walked through every step: the demo branch submits a case,
    the county nominates it, its best candidate branch and the demo member, the city
    selects all three and publishes."""
    if not AwardRound.objects.filter(org=root, quarter_start=quarter.start).exists():
        county_admin = User.objects.get(phone="13900000002")
        secretary = User.objects.get(phone="13900000003")
        round_ = awards.open_award_round(
            actor=city_admin,
            org=root,
            quarter=quarter,
            nomination_deadline=clock.today() + timedelta(days=NOMINATION_DAYS),
            case_quota=3,
            branch_quota=2,
            member_quota=2,
        )
        held = list(
            Activity.objects.filter(
                branch=village,
                status=ActivityStatus.CLOSED,
                campaign__month__in=quarter.months,
            ).values_list("pk", flat=True)
        )
        case = awards.submit_case(
            actor=secretary,
            award_round=round_,
            branch=village,
            title=CASE_TITLE,
            text=CASE_TEXT,
            activity_ids=held,
        )
        round_ = awards.advance_award_round(
            actor=city_admin, award_round=round_, to=AwardRoundStatus.NOMINATING
        )
        nominations = [
            awards.nominate_case(
                actor=county_admin, case=case, reason="扎根群众、可复制可推广的好做法。"
            )
        ]
        branch = _top_candidate(round_, county, prefer=village)
        if branch is not None:
            nominations.append(
                awards.nominate_branch(
                    actor=county_admin,
                    award_round=round_,
                    branch=branch,
                    reason="本季度主题党日开展扎实，综合得分位居全区前列。",
                )
            )
        member = Member.objects.filter(user__phone=MODEL_MEMBER_PHONE, is_active=True).first()
        if member is not None:
            nominations.append(
                awards.nominate_member(
                    actor=county_admin,
                    award_round=round_,
                    member=member,
                    reason="按时参加组织生活，积极参与志愿服务。",
                )
            )
        round_ = awards.advance_award_round(
            actor=city_admin, award_round=round_, to=AwardRoundStatus.SELECTING
        )
        for nomination in nominations:
            awards.select_nomination(actor=city_admin, nomination=nomination, selected=True)
        awards.publish_awards(actor=city_admin, award_round=round_)
        facts.rounds_published = 1
    round_ = AwardRound.objects.get(org=root, quarter_start=quarter.start)
    selected = round_.nominations.filter(is_selected=True).count()
    facts.summary.append(
        f"the awards of {quarter.start.year}-Q{_quarter_number(quarter)}: {round_.status}, "
        f"{selected} selected"
    )


def _send_back(village: Organization, month: date, facts: SupervisionFacts) -> None:
    """The county sends last month's record of the demo branch back for supplementing,
    once: the branch secretary finds it on the phone."""
    activity = (
        Activity.objects.filter(branch=village, status=ActivityStatus.CLOSED, campaign__month=month)
        .order_by("pk")
        .first()
    )
    if activity is None:
        return
    if not RecordReview.objects.filter(activity=activity).exists():
        reviews.send_back_record(
            actor=User.objects.get(phone="13900000002"),
            activity=activity,
            reason="“实行民主公开”未记录，请补充公开的内容和公开栏照片。",
            deadline=clock.today() + timedelta(days=SEND_BACK_DAYS),
        )
        facts.records_sent_back = 1
    facts.summary.append(f"a record of {village.name} ({month:%Y-%m}) sent back for supplementing")


def _appraisal(root: Organization, county: Organization, city_admin: User, year: int, facts):
    """The year's appraisal (the year of last month) as a draft: the demo county proposes
    the grades the rule proposes; the other counties and the city's confirmation are left
    for a visitor."""
    if not Appraisal.objects.filter(org=root, year=year).exists():
        made = appraisal.generate_appraisal(actor=city_admin, org=root, year=year)
        part = AppraisalCounty.objects.get(appraisal=made, county=county)
        appraisal.propose_grades(actor=User.objects.get(phone="13900000002"), part=part, grades={})
        facts.appraisals_generated = 1
    facts.summary.append(f"the appraisal of {year}: generated, {county.name}'s grades proposed")


def _dues(village: Organization, today: date, facts: SupervisionFacts) -> None:
    """The demo branch's dues register for this year so far, recorded by its secretary:
    every member's base for the year and a payment a month (on the 10th, or now for a month
    not that far yet), but for the last two members, who owe this month and the last; the
    flowing member pays by WeChat."""
    months = [date(today.year, m, 1) for m in range(1, today.month + 1)]
    secretary = User.objects.get(phone="13900000003")
    members = list(Member.objects.filter(branch=village, is_active=True).order_by("pk"))
    arrears = {m.pk for m in members[-2:]} if len(members) > 2 else set()
    for i, member in enumerate(members):
        if not DuesBase.objects.filter(member=member, year=today.year).exists():
            orglife.set_dues_base(
                actor=secretary,
                member=member,
                year=today.year,
                category=DuesCategory.EMPLOYED,
                monthly_income=Decimal(3000 + 500 * (i % 6)),
            )
        paid = set(DuesRecord.objects.filter(member=member).values_list("month", flat=True))
        for month in months:
            if month in paid or month < member.join_date.replace(day=1):
                continue
            if member.pk in arrears and month in months[-2:]:
                continue
            orglife.record_dues(
                actor=secretary,
                member=member,
                month=month,
                method=PayMethod.WECHAT if member.is_flowing else PayMethod.CASH,
                paid_at=min(
                    timezone.make_aware(datetime.combine(month.replace(day=10), time(10))),
                    clock.now(),
                ),
            )
            facts.dues_recorded += 1
    facts.summary.append(f"{village.name}'s dues register ({len(arrears)} members in arrears)")


def seed_supervision(
    *,
    root: Organization,
    county: Organization,
    village: Organization,
    city_admin: User,
    seed: int,
    progress: Callable[[str], None] = lambda _m: None,
) -> SupervisionFacts:
    """Seed the supervision cycle (see the module's docstring); each step only once."""
    facts = SupervisionFacts()
    today = clock.today()
    result = simulation.simulate(
        root=root, months=months_to_simulate(today), seed=seed, progress=progress
    )
    facts.months_simulated = len(result.months)
    facts.items_recorded = _item_evidence(root, result.months, village, seed)
    wanted = simulation.months_before(today, months_to_simulate(today))
    facts.summary.append(
        f"theme days of {wanted[0]:%Y-%m} to {wanted[-1]:%Y-%m} held, scored, items recorded"
    )
    quarter, month = last_quarter(today), last_month(today)
    running = this_month.seed_this_month(
        root=root, county=county, village=village, seed=seed, progress=progress
    )
    facts.this_month_changed = running.changed
    facts.items_recorded += _item_evidence(
        root, [today.replace(day=1)] if running.held else [], village, seed
    )
    # The year's study before the history: awards and the appraisal read it.
    learned = learning_history.seed_learning_history(
        root=root, city_admin=city_admin, months=wanted, seed=seed, progress=progress
    )
    made = history.seed_history(
        root=root,
        county=county,
        city_admin=city_admin,
        first_month=wanted[0],
        seed=seed,
        progress=progress,
    )
    facts.history_made = sum(made.values()) + learned
    _monthly_sheets(city_admin, month, facts)
    _bulletin(root, city_admin, quarter, facts)
    _awards(
        root=root,
        county=county,
        village=village,
        city_admin=city_admin,
        quarter=quarter,
        facts=facts,
    )
    _send_back(village, month, facts)
    _appraisal(root, county, city_admin, month.year, facts)
    _dues(village, today, facts)
    return facts
