"""Writes of the quarterly awards (季度评选): the city opens a quarter's round and moves it
on (open → nominating → selecting → published), branches submit golden-idea cases, counties
nominate within their quotas (advanced branches from the candidates only), the city
selects up to the round's selection size of each kind and publishes. Every step is
permission-checked, transactional and audited; a published round changes no more."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import check_attachment, store_attachment
from dangjian.core.locking import locked, refused_on_conflict
from dangjian.core.text import checked_text
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Member, Organization, OrgKind, User
from dangjian.scoring.formula import Period
from dangjian.supervision import award_rules as rules
from dangjian.supervision import award_selectors as selectors
from dangjian.supervision.models import (
    AwardKind,
    AwardRound,
    AwardRoundStatus,
    CasePhoto,
    GoldenIdeaCase,
    Nomination,
)

QUOTA_MAX = 100
TITLE_MAX_CHARS = 100
TEXT_MAX_CHARS = 5000
REASON_MAX_CHARS = 1000
PHOTOS_PER_CASE = 9
PHOTO_MAX_BYTES = 10 * 1024 * 1024


def _audit(actor, action: str, obj, org, *, before=None, after=None, label=None) -> None:
    audit.record(
        actor=actor,
        action=f"award.{action}",
        obj=obj,
        org=org,
        before=before,
        after=after,
        label=label,
    )


def _number(value, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError("validation_error", message, field=field)
    return value


def _not_published(round_: AwardRound) -> None:
    if round_.status == AwardRoundStatus.PUBLISHED:
        raise DomainError("already_published", _("评选结果已公布，不能再更改"))


def _locked_round(round_: AwardRound) -> AwardRound:
    """The round again under lock: nominations and selections of one round queue behind
    each other, so that two counties' clicks cannot both take the last place."""
    return locked(round_, "org")


# The round -------------------------------------------------------------------------------


def _tell_counties(round_: AwardRound, title: str, key: str) -> None:
    """The own admins of the city's counties: who passes a step of the round on to their
    branches (cases) or takes it (nominations). Once a step (`key`)."""
    counties = Organization.objects.filter(
        path__startswith=round_.org.path, depth=round_.org.depth + 1, is_active=True
    ).values_list("pk", flat=True)
    notifications.notify(
        user_ids=permissions.branch_admins_of(counties),
        kind="award",
        title=title,
        link=f"/console/supervision/awards/{round_.pk}/",
        dedupe_key=f"award-{round_.pk}-{key}",
    )


@transaction.atomic
def open_award_round(
    *,
    actor: User,
    org: Organization,
    quarter: Period,
    nomination_deadline: date,
    case_quota: int,
    branch_quota: int,
    member_quota: int,
    candidate_percent: int = 30,
) -> AwardRound:
    """The city opens a quarter's round: cases may be submitted from now on."""
    permissions.require(actor, Action.CHANGE, org)
    if org.depth != 1:
        raise DomainError("invalid_org", _("季度评选由市级组织发起"))
    if quarter.kind != "quarter":
        raise DomainError("validation_error", _("请选择一个季度，如 2026-Q4"), field="quarter")
    if not isinstance(nomination_deadline, date) or nomination_deadline < clock.today():
        raise DomainError(
            "validation_error", _("推荐截止日期不能早于今天"), field="nomination_deadline"
        )
    quotas = {
        name: _number(value, name, 0, QUOTA_MAX, _("名额应在 0 到 %d 之间") % QUOTA_MAX)
        for name, value in (
            ("case_quota", case_quota),
            ("branch_quota", branch_quota),
            ("member_quota", member_quota),
        )
    }
    _number(candidate_percent, "candidate_percent", 1, 100, _("候选比例应在 1% 到 100% 之间"))
    if AwardRound.objects.filter(org=org, quarter_start=quarter.start).exists():
        raise DomainError("round_exists", _("该季度的评选已经发起"))
    round_ = AwardRound.objects.create(
        org=org,
        quarter_start=quarter.start,
        nomination_deadline=nomination_deadline,
        selection_size=settings.AWARD_SELECTION_SIZE,
        candidate_percent=candidate_percent,
        created_by=actor,
        created_at=clock.now(),
        **quotas,
    )
    _tell_counties(
        round_,
        _("%s评选已发起，请组织党支部报送金点子案例") % round_.label,
        "open",
    )
    _audit(
        actor,
        "open",
        round_,
        org,
        label=round_.label,
        after={
            "quarter": quarter.label,
            "nomination_deadline": nomination_deadline.isoformat(),
            "selection_size": round_.selection_size,
            "candidate_percent": candidate_percent,
            **quotas,
        },
    )
    return round_


@transaction.atomic
def advance_award_round(*, actor: User, award_round: AwardRound, to: str) -> AwardRound:
    """Move the round one step on: to nominating, to selecting, or published (through
    `publish_awards`). `to` must be the next step, so that a repeated click changes nothing
    twice."""
    if to == AwardRoundStatus.PUBLISHED:
        return publish_awards(actor=actor, award_round=award_round)
    permissions.require(actor, Action.CHANGE, award_round)
    round_ = _locked_round(award_round)
    _not_published(round_)
    if rules.next_status(round_.status) != to:
        raise DomainError("invalid_status", _("评选当前不能进入该阶段"))
    before = round_.status
    round_.status = to
    round_.save(update_fields=["status"])
    _audit(actor, "advance", round_, round_.org, before={"status": before}, after={"status": to})
    if to == AwardRoundStatus.NOMINATING:
        _tell_counties(
            round_,
            _("%(round)s评选开始推荐，截止 %(day)s")
            % {"round": round_.label, "day": round_.nomination_deadline.isoformat()},
            "nominating",
        )
    return round_


@transaction.atomic
def publish_awards(*, actor: User, award_round: AwardRound) -> AwardRound:
    """Publish the selection: from now the round and its selected nominations are read by
    everyone in the city, and nothing of it changes. The winners' branches are told."""
    permissions.require(actor, Action.CHANGE, award_round)
    round_ = _locked_round(award_round)
    _not_published(round_)
    if round_.status != AwardRoundStatus.SELECTING:
        raise DomainError("invalid_status", _("评选尚未进入市级评选阶段"))
    round_.status = AwardRoundStatus.PUBLISHED
    round_.published_at = clock.now()
    round_.save(update_fields=["status", "published_at"])
    winners = list(
        round_.nominations.filter(is_selected=True).values_list("kind", "branch_id", "pk")
    )
    _audit(
        actor,
        "publish",
        round_,
        round_.org,
        label=round_.label,
        before={"status": AwardRoundStatus.SELECTING},
        after={"status": round_.status, "selected": [pk for _k, _b, pk in winners]},
    )
    admins = permissions.branch_admins_of(sorted({b for _k, b, _p in winners}))
    notifications.notify(
        user_ids=admins,
        kind="award",
        title=_("%s评选结果已公布") % round_.label,
        link=f"/console/supervision/awards/{round_.pk}/",
        dedupe_key=f"award-published-{round_.pk}",
    )
    return round_


# Cases -----------------------------------------------------------------------------------


@transaction.atomic
def submit_case(
    *,
    actor: User,
    award_round: AwardRound,
    branch: Organization,
    title: str,
    text: str,
    activity_ids: list[int] | None = None,
    photos=None,
) -> GoldenIdeaCase:
    """A branch submits a golden-idea case: title, text, photos and activities of its own."""
    permissions.require(actor, Action.CHANGE, branch)
    permissions.require(actor, Action.READ, award_round)
    if branch.kind != OrgKind.BRANCH or not branch.path.startswith(award_round.org.path):
        raise DomainError("invalid_org", _("金点子案例由本市的党支部提交"))
    if not rules.may_submit_case(
        award_round.status, award_round.nomination_deadline, clock.today()
    ):
        raise DomainError("deadline_passed", _("案例征集已经截止"))
    title = checked_text(title, field="title", missing=_("请填写案例标题"), limit=TITLE_MAX_CHARS)
    text = checked_text(text, field="text", missing=_("请填写案例内容"), limit=TEXT_MAX_CHARS)
    activity_ids = sorted(set(activity_ids or []))
    activities = list(
        permissions.scoped_activities(actor).filter(pk__in=activity_ids, branch=branch)
    )
    if len(activities) != len(activity_ids):
        raise DomainError("validation_error", _("只能关联本支部的活动"), field="activity_ids")
    photos = list(photos or [])
    if len(photos) > PHOTOS_PER_CASE:
        raise DomainError(
            "validation_error", _("最多上传 %d 张照片") % PHOTOS_PER_CASE, field="photos"
        )
    checked = [(p, check_attachment(p, max_bytes=PHOTO_MAX_BYTES)) for p in photos]
    if any(not kind.content_type.startswith("image/") for _p, kind in checked):
        raise DomainError("unsupported_file", _("案例照片只能是图片（PNG、JPEG、WebP）"))
    now = clock.now()
    case = GoldenIdeaCase.objects.create(
        round=award_round,
        branch=branch,
        title=title,
        text=text,
        submitted_by=actor,
        submitted_at=now,
    )
    case.activities.set(activities)
    for upload, kind in checked:
        photo = CasePhoto(case=case)
        store_attachment(photo, upload, kind, name=getattr(upload, "name", ""), created_at=now)
    _audit(
        actor,
        "case.submit",
        case,
        branch,
        after={
            "round": award_round.pk,
            "title": title,
            "activities": activity_ids,
            "photos": [getattr(p, "name", "") for p in photos],
        },
    )
    return case


# Nominations -----------------------------------------------------------------------------


def _county_of(round_: AwardRound, branch: Organization) -> Organization:
    path = rules.county_path(branch.path, round_.org.path, Organization.steplen)
    county = Organization.objects.filter(path=path).first() if path else None
    if county is None or branch.kind != OrgKind.BRANCH:
        raise DomainError("invalid_org", _("只能推荐本市的党支部"))
    return county


def _nominate(
    actor: User,
    round_: AwardRound,
    *,
    kind: str,
    branch: Organization,
    reason: str,
    evidence: dict,
    case: GoldenIdeaCase | None = None,
    member: Member | None = None,
) -> Nomination:
    county = _county_of(round_, branch)
    # Nominating is the county's supervision of its branches: its admins and the city's.
    permissions.require(actor, Action.SUPERVISE, county)
    reason = checked_text(
        reason, field="reason", missing=_("请填写推荐理由"), limit=REASON_MAX_CHARS
    )
    round_ = _locked_round(round_)
    _not_published(round_)
    if not rules.may_nominate(round_.status, round_.nomination_deadline, clock.today()):
        if round_.status == AwardRoundStatus.NOMINATING:
            raise DomainError("deadline_passed", _("推荐已经截止"))
        raise DomainError("invalid_status", _("评选当前不在区县推荐阶段"))
    used = Nomination.objects.filter(round=round_, kind=kind, county=county).count()
    if rules.quota_left(round_.quota_for(kind), used) == 0:
        raise DomainError(
            "quota_exceeded",
            _("%(county)s的%(kind)s推荐名额（%(quota)d 个）已用完")
            % {
                "county": county.name,
                "kind": AwardKind(kind).label,
                "quota": round_.quota_for(kind),
            },
        )
    with refused_on_conflict("already_nominated", _("已经推荐过")):
        nomination = Nomination.objects.create(
            round=round_,
            kind=kind,
            county=county,
            branch=branch,
            case=case,
            member=member,
            reason=reason,
            evidence=evidence,
            nominated_by=actor,
            nominated_at=clock.now(),
        )
    _audit(
        actor,
        "nominate",
        nomination,
        county,
        label=f"{AwardKind(kind).label} {nomination.subject_name}",
        after={"round": round_.pk, "kind": kind, "branch": branch.pk, "evidence": evidence},
    )
    return nomination


@transaction.atomic
def nominate_case(*, actor: User, case: GoldenIdeaCase, reason: str) -> Nomination:
    return _nominate(
        actor,
        case.round,
        kind=AwardKind.CASE,
        branch=case.branch,
        case=case,
        reason=reason,
        evidence={"title": case.title},
    )


@transaction.atomic
def nominate_branch(
    *,
    actor: User,
    award_round: AwardRound,
    branch: Organization,
    reason: str,
) -> Nomination:
    """A county nominates an advanced branch: only one of its candidates (ranked within the
    round's share of the county's quarter ranking, no overdue rectification)."""
    county = _county_of(award_round, branch)
    permissions.require(actor, Action.SUPERVISE, county)
    candidate = selectors.candidate_of(award_round, county, branch)
    if candidate is None or not candidate.is_candidate:
        raise DomainError("not_candidate", _("%s不在本季度先进党支部候选名单中") % branch.name)
    return _nominate(
        actor,
        award_round,
        kind=AwardKind.BRANCH,
        branch=branch,
        reason=reason,
        evidence={
            "rank": candidate.rank,
            "branches": candidate.branches,
            "score": str(candidate.score),
        },
    )


@transaction.atomic
def nominate_member(
    *,
    actor: User,
    award_round: AwardRound,
    member: Member,
    reason: str,
) -> Nomination:
    """A county nominates a model member, with their quarter's evidence kept as it stood:
    check-ins, volunteer hours and study minutes."""
    if not member.is_active:
        raise DomainError("member_left", _("该党员已不在册"))
    evidence = selectors.member_evidence(member, award_round.period)
    return _nominate(
        actor,
        award_round,
        kind=AwardKind.MEMBER,
        branch=member.branch,
        member=member,
        reason=reason,
        evidence=evidence.as_dict(),
    )


@transaction.atomic
def withdraw_nomination(*, actor: User, nomination: Nomination) -> None:
    """The county takes a nomination back (its place is free again) while nominating."""
    permissions.require(actor, Action.CHANGE, nomination)
    round_ = _locked_round(nomination.round)
    _not_published(round_)
    if not rules.may_nominate(round_.status, round_.nomination_deadline, clock.today()):
        raise DomainError("deadline_passed", _("推荐已经截止，不能撤回"))
    _audit(
        actor,
        "withdraw",
        nomination,
        nomination.county,
        before={"kind": nomination.kind, "branch": nomination.branch_id},
        label=f"{AwardKind(nomination.kind).label} {nomination.subject_name}",
    )
    nomination.delete()


@transaction.atomic
def select_nomination(*, actor: User, nomination: Nomination, selected: bool) -> Nomination:
    """The city selects a nomination (or takes the selection back) while selecting; at
    most `selection_size` of each kind."""
    permissions.require(actor, Action.REVIEW, nomination)
    round_ = _locked_round(nomination.round)
    _not_published(round_)
    if round_.status != AwardRoundStatus.SELECTING:
        raise DomainError("invalid_status", _("评选当前不在市级评选阶段"))
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.is_selected == selected:
        return nomination
    if selected:
        chosen = round_.nominations.filter(kind=nomination.kind, is_selected=True).count()
        if chosen >= round_.selection_size:
            raise DomainError(
                "quota_exceeded",
                _("%(kind)s最多评选 %(n)d 个")
                % {"kind": AwardKind(nomination.kind).label, "n": round_.selection_size},
            )
    nomination.is_selected = selected
    nomination.selected_by = actor if selected else None
    nomination.selected_at = clock.now() if selected else None
    nomination.save(update_fields=["is_selected", "selected_by", "selected_at"])
    _audit(
        actor,
        "select" if selected else "unselect",
        nomination,
        round_.org,
        before={"is_selected": not selected},
        after={"is_selected": selected},
        label=f"{AwardKind(nomination.kind).label} {nomination.subject_name}",
    )
    return nomination
