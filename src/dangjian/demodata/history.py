"""The demo's year of supervision, done when it would have been: the records of the months
before last reviewed and passed (last month's wait in the queue, as a month's do), a spot
check of the city every month of the last half year with its findings, rectifications
opened for the problems found (the older answered and accepted, the recent open: due soon,
overdue, one answered waiting for acceptance), and the bulletin of every finished quarter
of the year. The services run with the clock moved to the day each step was taken
(`moved_clock`), so their dates and the deadlines they check read as history.

Every step is skipped when what it makes is there already, so a second seed changes
nothing."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from unittest import mock

from django.utils import timezone

from dangjian import permissions
from dangjian.core import clock
from dangjian.registry.models import Member, Organization, Role, RoleGrant, User
from dangjian.scoring.formula import Period, quarter_of
from dangjian.supervision import award_selectors, awards, bulletins
from dangjian.supervision import services as supervision
from dangjian.supervision.models import (
    AwardRound,
    AwardRoundStatus,
    Bulletin,
    BulletinStatus,
    FindingResult,
    RecordReview,
    RecordReviewEvent,
    ReviewAction,
    ReviewStatus,
    SpotCheck,
)
from dangjian.themedays.models import Activity, ActivityStatus

SPOT_CHECK_MONTHS = 6
SPOT_CHECK_SIZE = 6
# A sampled branch scoring under this (hundredths) is found with problems.
PROBLEM_BELOW = 7500
FINDINGS = (
    "活动照片少于两张，未体现党员集体学习场景。",
    "活动总结过于简单，未写明学习内容和党员发言情况。",
    "签到人数与会议记录不一致，部分党员缺勤未说明原因。",
    "规定动作“实行民主公开”无记录。",
)
REQUIREMENT = "请对照主题党日规定动作逐项整改，补充相关记录和照片，整改完成后在线反馈。"
ANSWER = "已组织支部委员会专题研究，补充了会议记录和活动照片，并明确专人负责活动记录。"


@contextmanager
def moved_clock(moment: datetime) -> Iterator[None]:
    """The server clock (`core.clock`) reads `moment` inside the block, so the services
    date what they write then and judge deadlines against that day."""
    day = timezone.localdate(moment)
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(clock, "today", lambda: day),
    ):
        yield


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime(hour)))


def _month_after(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def passed_reviews(root: Organization, before: date) -> int:
    """The closed records of the months before `before` reviewed and passed by their
    reviewers, ten days or so after they closed, written as `reviews.pass_record` leaves
    them (one review and its event each; per-record audit entries left out, as in
    `simulation`). Records with a review already are left alone."""
    records = list(
        Activity.objects.filter(
            branch__path__startswith=root.path,
            status=ActivityStatus.CLOSED,
            campaign__month__lt=before,
            record_review__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "branch_id", "closed_at")
    )
    if not records:
        return 0
    rng = random.Random(f"reviews:{before:%Y-%m}")
    reviewers = _reviewers([branch for _pk, branch, _at in records])
    reviews = []
    for pk, branch_id, closed in records:
        org_id, user_id = reviewers[branch_id]
        at = closed + timedelta(days=rng.randint(3, 15), hours=rng.randint(0, 6))
        reviews.append(
            RecordReview(
                activity_id=pk,
                branch_id=branch_id,
                status=ReviewStatus.PASSED,
                reviewer_org_id=org_id,
                reviewed_by_id=user_id,
                reviewed_at=at,
                passed_at=at,
                updated_at=at,
            )
        )
    made = RecordReview.objects.bulk_create(reviews, batch_size=1000)
    RecordReviewEvent.objects.bulk_create(
        [
            RecordReviewEvent(
                review=review,
                action=ReviewAction.PASS,
                actor_id=review.reviewed_by_id,
                at=review.reviewed_at,
            )
            for review in made
        ],
        batch_size=1000,
    )
    return len(made)


def _reviewers(branch_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """Each branch's reviewing organization and its first admin (`permissions`)."""
    admins: dict[str, tuple[int, int]] = {}
    for org_id, path, user_id in (
        RoleGrant.objects.filter(role=Role.ADMIN, org__is_active=True, user__is_active=True)
        .order_by("org__path", "pk")
        .values_list("org_id", "org__path", "user_id")
    ):
        admins.setdefault(path, (org_id, user_id))
    out = {}
    for pk, path in Organization.objects.filter(pk__in=set(branch_ids)).values_list("pk", "path"):
        reviewing = permissions.reviewing_path(path, admins)
        out[pk] = admins[reviewing] if reviewing else (pk, None)
    return out


def spot_checks(*, root: Organization, city_admin: User, today: date, seed: int) -> tuple[int, int]:
    """A spot check of the city for each of the last `SPOT_CHECK_MONTHS` months, drawn on
    the 8th of the month after (weighted toward low scores), its findings recorded the
    same day and a rectification opened for each problem with three weeks to correct; a
    branch answers a week or so later and the city accepts the answer a few days after,
    unless that is still to come. Returns (spot checks, rectifications) made."""
    if SpotCheck.objects.filter(org=root).exists():
        return 0, 0
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    months = [last]
    while len(months) < SPOT_CHECK_MONTHS:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    now = clock.now()
    checks = opened = 0
    newest = len(months) - 1
    for n, month in enumerate(months):
        rng = random.Random(f"{seed}:spot-check:{month:%Y-%m}")
        drawn_at = min(_at(_month_after(month).replace(day=8)), now - timedelta(hours=3))
        with moved_clock(drawn_at):
            check = supervision.create_spot_check(
                actor=city_admin,
                org=root,
                period=Period("month", month),
                size=SPOT_CHECK_SIZE,
                seed=rng.randrange(2**31),
                weight_low_scores=True,
            )
            checks += 1
            problems = []
            for item in check.items.select_related("branch").order_by("position"):
                if item.score_hundredths < PROBLEM_BELOW or rng.random() < 0.15:
                    finding = rng.choice(FINDINGS)
                    supervision.record_finding(
                        actor=city_admin, item=item, result=FindingResult.PROBLEMS, finding=finding
                    )
                    problems.append((item, finding))
                else:
                    supervision.record_finding(
                        actor=city_admin, item=item, result=FindingResult.PASSED
                    )
            rectifications = [
                supervision.open_rectification(
                    actor=city_admin,
                    branch=item.branch,
                    title=f"{month:%Y年%m月}抽查问题整改：{finding[:20]}",
                    requirement=REQUIREMENT,
                    # The last check's first problem is due within the week.
                    deadline=clock.today() + timedelta(days=5 if (n, k) == (newest, 0) else 21),
                    finding=item,
                )
                for k, (item, finding) in enumerate(problems)
            ]
        opened += len(rectifications)
        for k, rectification in enumerate(rectifications):
            # Three months ago, the first is left unanswered (overdue); two months ago, the
            # first answered waits for the city's acceptance.
            stop = {(newest - 2, 0): "open", (newest - 1, 0): "answered"}.get((n, k), "")
            _follow_up(rectification, drawn_at, now, rng, stop=stop)
    return checks, opened


def _follow_up(rectification, opened_at: datetime, now: datetime, rng, *, stop: str) -> None:
    """The branch answers a week or two after it was opened and the city accepts a few
    days later, as far as those days are past; `stop` "open" leaves it unanswered (overdue
    once its deadline passes), "answered" unaccepted. Only a branch's own admin answers."""
    admins = sorted(permissions.branch_admin_user_ids(rectification.branch))
    if stop == "open" or not admins:
        return
    answerer = User.objects.get(pk=admins[0])
    answered_at = opened_at + timedelta(days=rng.randint(6, 16), hours=rng.randint(0, 5))
    if answered_at >= now:
        return
    with moved_clock(answered_at):
        supervision.answer_rectification(actor=answerer, rectification=rectification, text=ANSWER)
    accepted_at = answered_at + timedelta(days=rng.randint(2, 6))
    if stop == "answered" or accepted_at >= now:
        return
    city_admin = rectification.opened_by
    with moved_clock(accepted_at):
        supervision.accept_rectification(
            actor=city_admin, rectification=rectification, remark="整改到位，同意销号。"
        )


def quarter_bulletins(
    *, root: Organization, city_admin: User, first_month: date, today: date
) -> int:
    """The city's bulletin of every quarter finished within the simulated months, published
    on the 5th of the month after it. Returns how many were published."""
    published = 0
    quarter = quarter_of(first_month)
    if quarter.start < first_month:
        quarter = quarter_of(quarter.end + timedelta(days=1))
    while quarter.end < today.replace(day=1):
        year, number = quarter.start.year, (quarter.start.month - 1) // 3 + 1
        done = Bulletin.objects.filter(
            org=root, year=year, quarter=number, status=BulletinStatus.PUBLISHED
        ).exists()
        if not done:
            at = min(_at(quarter.end + timedelta(days=5)), clock.now() - timedelta(hours=1))
            with moved_clock(at):
                draft = bulletins.generate_bulletin(
                    actor=city_admin, org=root, year=year, quarter=number
                )
                bulletins.publish_bulletin(actor=city_admin, bulletin=draft)
            published += 1
        quarter = quarter_of(quarter.end + timedelta(days=1))
    return published


def _award_round(
    *, root: Organization, county: Organization, city_admin: User, quarter: Period
) -> bool:
    """The quarter's awards, opened on the 5th of the month after it, nominated by the demo
    county (its best candidate branch and that branch's secretary as model member) by the
    15th, selected and published by the city on the 25th."""
    if AwardRound.objects.filter(org=root, quarter_start=quarter.start).exists():
        return False
    county_admin = User.objects.get(phone="13900000002")
    after = quarter.end + timedelta(days=1)
    with moved_clock(_at(after.replace(day=5))):
        round_ = awards.open_award_round(
            actor=city_admin,
            org=root,
            quarter=quarter,
            nomination_deadline=after.replace(day=15),
            case_quota=3,
            branch_quota=2,
            member_quota=2,
        )
        round_ = awards.advance_award_round(
            actor=city_admin, award_round=round_, to=AwardRoundStatus.NOMINATING
        )
    nominations = []
    with moved_clock(_at(after.replace(day=12), 15)):
        rows = [r for r in award_selectors.branch_candidates(round_, county) if r.is_candidate]
        if rows:
            branch = Organization.objects.get(pk=rows[0].org_id)
            nominations.append(
                awards.nominate_branch(
                    actor=county_admin,
                    award_round=round_,
                    branch=branch,
                    reason="本季度主题党日开展扎实，综合得分位居全区前列。",
                )
            )
            secretary = (
                Member.objects.filter(
                    branch=branch,
                    is_active=True,
                    user_id__in=permissions.branch_admin_user_ids(branch),
                )
                .order_by("pk")
                .first()
            )
            if secretary is not None:
                nominations.append(
                    awards.nominate_member(
                        actor=county_admin,
                        award_round=round_,
                        member=secretary,
                        reason="带领支部按时高质量开展主题党日，群众口碑好。",
                    )
                )
    with moved_clock(_at(after.replace(day=25))):
        round_ = awards.advance_award_round(
            actor=city_admin, award_round=round_, to=AwardRoundStatus.SELECTING
        )
        for nomination in nominations:
            awards.select_nomination(actor=city_admin, nomination=nomination, selected=True)
        awards.publish_awards(actor=city_admin, award_round=round_)
    return True


def award_rounds(
    *, root: Organization, county: Organization, city_admin: User, first_month: date, today: date
) -> int:
    """The awards of every finished quarter of the year but the last (the demo's own round,
    with the demo branch's case, is `supervision._awards`'s). Returns how many were made."""
    made = 0
    quarter = quarter_of(first_month)
    if quarter.start < first_month:
        quarter = quarter_of(quarter.end + timedelta(days=1))
    last = quarter_of(quarter_of(today).start - timedelta(days=1))
    while quarter.start < last.start:
        made += _award_round(root=root, county=county, city_admin=city_admin, quarter=quarter)
        quarter = quarter_of(quarter.end + timedelta(days=1))
    return made


def seed_history(
    *,
    root: Organization,
    county: Organization,
    city_admin: User,
    first_month: date,
    seed: int,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, int]:
    today = clock.today()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    made = {"reviews": passed_reviews(root, last)}
    made["spot_checks"], made["rectifications"] = spot_checks(
        root=root, city_admin=city_admin, today=today, seed=seed
    )
    made["bulletins"] = quarter_bulletins(
        root=root, city_admin=city_admin, first_month=first_month, today=today
    )
    made["award_rounds"] = award_rounds(
        root=root, county=county, city_admin=city_admin, first_month=first_month, today=today
    )
    if any(made.values()):
        progress("history: " + ", ".join(f"{k} {v}" for k, v in made.items()))
    return made
