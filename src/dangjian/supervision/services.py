"""Writes for supervision: drawing a spot check and recording its findings, and the life
of a rectification (open → answered → accepted, or reopened). Every step is
permission-checked, transactional and audited."""

import secrets
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import check_attachment, store_attachment
from dangjian.core.locking import locked
from dangjian.core.text import checked_text
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import Period
from dangjian.supervision import sampling
from dangjian.supervision.models import (
    FindingResult,
    Rectification,
    RectificationAttachment,
    RectificationEvent,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
)

MAX_SEED = 2**63 - 1
FINDING_MAX_CHARS = 2000
TEXT_MAX_CHARS = 5000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_ANSWER = 10


# Spot checks -----------------------------------------------------------------------------


@transaction.atomic
def create_spot_check(
    *,
    actor: User,
    org: Organization,
    period: Period,
    size: int | None = None,
    percent: int | None = None,
    seed: int | None = None,
    weight_low_scores: bool = False,
) -> SpotCheck:
    """一键抽查: draw a sample of the branches under `org` for a period, by number or
    percentage, optionally weighted toward low scores. The seed (drawn if not given) is
    recorded with the sample, so the same draw can be repeated and checked."""
    permissions.require(actor, Action.SUPERVISE, org)
    if (size is None) == (percent is None):
        raise DomainError("validation_error", _("请填写抽查数量或比例（二选一）"), field="size")
    if size is not None and (isinstance(size, bool) or size < 1):
        raise DomainError("validation_error", _("抽查数量至少为 1"), field="size")
    if percent is not None and not 1 <= percent <= 100:
        raise DomainError("validation_error", _("抽查比例应在 1% 到 100% 之间"), field="percent")
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise DomainError("validation_error", _("抽样编号应为非负整数"), field="seed")
    rows = {r.org_id: r for r in scoring.branch_rows(org, period)}
    if not rows:
        raise DomainError("empty_scope", _("该组织下没有可抽查的党支部"))
    count = sampling.sample_size(len(rows), size=size, percent=percent)
    drawn = sampling.draw(
        [(pk, r.score_hundredths) for pk, r in rows.items()],
        count,
        seed,
        weight_low_scores=weight_low_scores,
    )
    spot_check = SpotCheck.objects.create(
        org=org,
        period_kind=period.kind,
        period_start=period.start,
        requested_size=size,
        requested_percent=percent,
        seed=seed,
        weight_low_scores=weight_low_scores,
        population=len(rows),
        created_by=actor,
        created_at=clock.now(),
    )
    SpotCheckItem.objects.bulk_create(
        [
            SpotCheckItem(
                spot_check=spot_check,
                branch_id=pk,
                position=position,
                score_hundredths=rows[pk].score_hundredths,
                activity_id=rows[pk].activity_id if period.kind == "month" else None,
            )
            for position, pk in enumerate(drawn, start=1)
        ]
    )
    audit.record(
        actor=actor,
        action="spot_check.create",
        obj=spot_check,
        org=org,
        label=_("抽查 %(org)s %(period)s") % {"org": org.name, "period": period.label},
        after={
            "period": period.label,
            "size": size,
            "percent": percent,
            "seed": seed,
            "weight_low_scores": weight_low_scores,
            "population": len(rows),
            "branches": drawn,
        },
    )
    return spot_check


@transaction.atomic
def record_finding(
    *, actor: User, item: SpotCheckItem, result: str, finding: str = ""
) -> SpotCheckItem:
    """The inspector's finding for one sampled branch: passed, or problems (described)."""
    permissions.require(actor, Action.CHANGE, item.spot_check)
    if result not in (FindingResult.PASSED, FindingResult.PROBLEMS):
        raise DomainError("validation_error", _("检查结论只能是“合格”或“存在问题”"), field="result")
    finding = (finding or "").strip()
    if result == FindingResult.PROBLEMS and not finding:
        raise DomainError("validation_error", _("存在问题时须写明检查发现"), field="finding")
    if len(finding) > FINDING_MAX_CHARS:
        raise DomainError(
            "validation_error", _("检查发现不能超过 %d 个字") % FINDING_MAX_CHARS, field="finding"
        )
    item = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
    before = {"result": item.result, "finding": item.finding}
    item.result = result
    item.finding = finding
    item.inspected_by = actor
    item.inspected_at = clock.now()
    item.save(update_fields=["result", "finding", "inspected_by", "inspected_at"])
    audit.record(
        actor=actor,
        action="spot_check.finding",
        obj=item.spot_check,
        org=item.branch,
        before=before,
        after={"branch_id": item.branch_id, "result": result, "finding": finding},
    )
    return item


# Rectifications --------------------------------------------------------------------------


def _record(
    rectification: Rectification,
    *,
    actor: User,
    action: str,
    text: str = "",
    deadline: date | None = None,
    before: dict | None = None,
    after: dict,
) -> RectificationEvent:
    """A step of the rectification: kept in its history (the event, `text` and any new
    `deadline`) and audited as `rectification.<action>` (`before`, `after`)."""
    audit.record(
        actor=actor,
        action=f"rectification.{action}",
        obj=rectification,
        org=rectification.branch,
        before=before,
        after=after,
    )
    return RectificationEvent.objects.create(
        rectification=rectification,
        action=action,
        actor=actor,
        text=text,
        deadline=deadline,
        at=clock.now(),
    )


def _check_deadline(deadline: date) -> date:
    if not isinstance(deadline, date):
        raise DomainError("validation_error", _("请填写整改期限"), field="deadline")
    if deadline < clock.today():
        raise DomainError("validation_error", _("整改期限不能早于今天"), field="deadline")
    return deadline


def _text(value: str, field: str, message: str, limit: int = TEXT_MAX_CHARS) -> str:
    return checked_text(value, field=field, missing=message, limit=limit)


def _notify(
    rectification: Rectification, user_ids, title: str, body: str = "", *, to_branch=True
) -> None:
    """A notice about the rectification (`title` takes its title), linking to its page: for
    the branch's admins the phone's (they answer there), for the superior the back office's."""
    if to_branch:
        link = f"/m/month/rectifications/{rectification.pk}/"
    else:
        link = f"/console/supervision/rectifications/{rectification.pk}/"
    notifications.notify(
        user_ids=user_ids,
        kind="rectification",
        title=title % rectification.title,
        body=body,
        link=link,
    )


@transaction.atomic
def open_rectification(
    *,
    actor: User,
    branch: Organization,
    title: str,
    requirement: str,
    deadline: date,
    finding: SpotCheckItem | None = None,
) -> Rectification:
    """A superior opens a rectification for a branch, from a spot-check finding or
    directly, with a deadline; the branch's admins are told."""
    permissions.require(actor, Action.SUPERVISE, branch)
    if branch.kind != OrgKind.BRANCH:
        raise DomainError("invalid_org", _("整改任务只能下达给党支部"))
    if finding is not None:
        if not permissions.can(actor, Action.READ, finding.spot_check):
            raise permissions.not_found()
        if finding.branch_id != branch.pk:
            raise DomainError("validation_error", _("检查发现不属于该党支部"), field="finding_id")
    title = _text(title, "title", _("请填写整改事项"), limit=200)
    requirement = _text(requirement, "requirement", _("请填写整改要求"))
    deadline = _check_deadline(deadline)
    now = clock.now()
    rectification = Rectification.objects.create(
        branch=branch,
        finding=finding,
        opened_by_org=permissions.superior_org(actor, branch),
        title=title,
        requirement=requirement,
        deadline=deadline,
        status=RectificationStatus.OPEN,
        opened_by=actor,
        opened_at=now,
        updated_at=now,
    )
    _record(
        rectification,
        actor=actor,
        action="open",
        text=requirement,
        deadline=deadline,
        after={
            "title": title,
            "deadline": deadline.isoformat(),
            "finding_id": finding.pk if finding else None,
        },
    )
    _notify(
        rectification,
        permissions.branch_admin_user_ids(branch),
        _("整改通知：%s"),
        body=_("请于 %s 前完成整改并在线反馈。") % deadline.isoformat(),
    )
    return rectification


def _locked(rectification: Rectification) -> Rectification:
    return locked(rectification, "branch", "opened_by_org")


@transaction.atomic
def answer_rectification(
    *, actor: User, rectification: Rectification, text: str, files: list | None = None
) -> Rectification:
    """The branch reports what it corrected, with images or PDFs as evidence; the
    superior then accepts or reopens."""
    permissions.require(actor, Action.ANSWER, rectification)
    text = _text(text, "text", _("请填写整改情况"))
    files = list(files or [])
    if len(files) > ATTACHMENTS_PER_ANSWER:
        raise DomainError(
            "validation_error",
            _("一次最多上传 %d 个附件") % ATTACHMENTS_PER_ANSWER,
            field="files",
        )
    checked = [
        (upload, check_attachment(upload, max_bytes=ATTACHMENT_MAX_BYTES)) for upload in files
    ]
    rectification = _locked(rectification)
    if rectification.status != RectificationStatus.OPEN:
        raise DomainError("invalid_status", _("该整改任务当前不能反馈"))
    now = clock.now()
    rectification.status = RectificationStatus.ANSWERED
    rectification.answered_at = rectification.updated_at = now
    rectification.save(update_fields=["status", "answered_at", "updated_at"])
    event = _record(
        rectification,
        actor=actor,
        action="answer",
        text=text,
        before={"status": RectificationStatus.OPEN},
        after={
            "status": rectification.status,
            "late": rectification.deadline < clock.today(),
            "attachments": [upload.name for upload, _kind in checked],
        },
    )
    for upload, kind in checked:
        attachment = RectificationAttachment(rectification=rectification, event=event)
        store_attachment(attachment, upload, kind, name=getattr(upload, "name", ""), created_at=now)
    if rectification.opened_by_id:
        _notify(rectification, [rectification.opened_by_id], _("整改已反馈：%s"), to_branch=False)
    return rectification


@transaction.atomic
def accept_rectification(
    *, actor: User, rectification: Rectification, remark: str = ""
) -> Rectification:
    permissions.require(actor, Action.SUPERVISE, rectification)
    rectification = _locked(rectification)
    if rectification.status != RectificationStatus.ANSWERED:
        raise DomainError("invalid_status", _("只有已反馈的整改任务可以验收"))
    remark = (remark or "").strip()[:TEXT_MAX_CHARS]
    now = clock.now()
    rectification.status = RectificationStatus.ACCEPTED
    rectification.accepted_at = rectification.updated_at = now
    rectification.save(update_fields=["status", "accepted_at", "updated_at"])
    _record(
        rectification,
        actor=actor,
        action="accept",
        text=remark,
        before={"status": RectificationStatus.ANSWERED},
        after={"status": rectification.status, "remark": remark},
    )
    admins = permissions.branch_admin_user_ids(rectification.branch)
    _notify(rectification, admins, _("整改已通过验收：%s"))
    return rectification


@transaction.atomic
def reopen_rectification(
    *, actor: User, rectification: Rectification, reason: str, deadline: date | None = None
) -> Rectification:
    """The superior is not satisfied: back to open, with a reason and optionally a new
    deadline (otherwise the old one stands, and may already be past)."""
    permissions.require(actor, Action.SUPERVISE, rectification)
    reason = _text(reason, "reason", _("退回整改须说明原因"))
    if deadline is not None:
        deadline = _check_deadline(deadline)
    rectification = _locked(rectification)
    if rectification.status != RectificationStatus.ANSWERED:
        raise DomainError("invalid_status", _("只有已反馈的整改任务可以退回"))
    before = {"status": rectification.status, "deadline": rectification.deadline.isoformat()}
    rectification.status = RectificationStatus.OPEN
    rectification.reopen_count += 1
    if deadline is not None:
        rectification.deadline = deadline
    rectification.updated_at = clock.now()
    rectification.save(update_fields=["status", "reopen_count", "deadline", "updated_at"])
    _record(
        rectification,
        actor=actor,
        action="reopen",
        text=reason,
        deadline=deadline,
        before=before,
        after={
            "status": rectification.status,
            "deadline": rectification.deadline.isoformat(),
            "reason": reason,
        },
    )
    admins = permissions.branch_admin_user_ids(rectification.branch)
    _notify(rectification, admins, _("整改被退回：%s"), body=reason)
    return rectification
