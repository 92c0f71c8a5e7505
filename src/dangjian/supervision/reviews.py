"""Writes for record review (docs/product.md, "Record review"): a superior passes a closed
activity's record (合格) or sends it back (退回补充) with a reason and a deadline; the
branch's admins supplement it and resubmit; the superior reviews it again. Every step is
permission-checked, transactional, audited and kept as an event; `reviewing` holds the
rules."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.core.text import checked_text
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import User
from dangjian.supervision import reviewing
from dangjian.supervision.models import (
    RecordReview,
    RecordReviewEvent,
    ReviewAction,
    ReviewStatus,
)
from dangjian.themedays.models import Activity, ActivityStatus

TEXT_MAX_CHARS = 2000

_REFUSALS = {
    "already_reviewed": gettext_lazy("该活动记录已审查合格，不能再次审查"),
    "already_sent_back": gettext_lazy("该活动记录已退回补充，请等待支部补充后重新提交"),
    "not_sent_back": gettext_lazy("该活动记录未被退回，无需补充提交"),
    "deadline_passed": gettext_lazy("补充期限已过，不能再提交，请联系上级重新退回"),
}


def _refuse(code: str | None) -> None:
    if code is not None:
        raise DomainError(code, str(_REFUSALS[code]))


def _closed(actor: User, activity: Activity) -> Activity:
    """The activity, locked (decisions on one record queue here), once the actor may
    review it and it is closed."""
    permissions.require(actor, Action.REVIEW, activity)
    activity = locked(activity, "branch")
    if activity.status != ActivityStatus.CLOSED:
        raise DomainError("not_closed", _("活动结束后才能审查活动记录"))
    return activity


def _step(review: RecordReview, *, actor: User, action: str, text: str, deadline=None, before):
    audit.record(
        actor=actor,
        action=f"record_review.{action}",
        obj=review.activity,
        org=review.branch,
        label=review.activity.title,
        before=before,
        after={
            "status": review.status,
            "text": text,
            "deadline": deadline.isoformat() if deadline else None,
        },
    )
    RecordReviewEvent.objects.create(
        review=review, action=action, actor=actor, text=text, deadline=deadline, at=clock.now()
    )


def _status(review: RecordReview | None) -> dict | None:
    return {"status": review.status} if review is not None else None


def _notify(review: RecordReview, user_ids, title: str, body: str = "", *, branch_side: bool):
    link = (
        f"/m/records/{review.pk}/"
        if branch_side
        else f"/console/supervision/records/{review.activity_id}/"
    )
    notifications.notify(
        user_ids=user_ids,
        kind="record_review",
        title=title % review.activity.title,
        body=body,
        link=link,
    )


@transaction.atomic
def send_back_record(
    *, actor: User, activity: Activity, reason: str, deadline: date
) -> RecordReview:
    """退回补充: the superior sends a closed activity's record back to its branch with a
    reason and a deadline (today at the earliest); the branch's admins are told. A record
    already sent back is sent back again only once its deadline has passed unanswered,
    with a new deadline."""
    permissions.require(actor, Action.REVIEW, activity)
    reason = checked_text(
        reason, field="reason", missing=_("退回补充须说明原因"), limit=TEXT_MAX_CHARS
    )
    if not isinstance(deadline, date):
        raise DomainError("validation_error", _("请填写补充期限"), field="deadline")
    today = clock.today()
    if deadline < today:
        raise DomainError("validation_error", _("补充期限不能早于今天"), field="deadline")
    activity = _closed(actor, activity)
    review = RecordReview.objects.select_for_update().filter(activity=activity).first()
    _refuse(
        reviewing.refusal_to_decide(
            review.status if review else None, review.deadline if review else None, today
        )
    )
    before = _status(review)
    now = clock.now()
    decided = {
        "status": ReviewStatus.SENT_BACK,
        "reason": reason,
        "deadline": deadline,
        "reviewer_org": permissions.superior_org(actor, activity.branch),
        "reviewed_by": actor,
        "reviewed_at": now,
        "updated_at": now,
    }
    if review is None:
        review = RecordReview.objects.create(
            activity=activity, branch=activity.branch, send_back_count=1, **decided
        )
    else:
        for name, value in decided.items():
            setattr(review, name, value)
        review.send_back_count += 1
        review.save(update_fields=[*decided, "send_back_count"])
    _step(
        review,
        actor=actor,
        action=ReviewAction.SEND_BACK,
        text=reason,
        deadline=deadline,
        before=before,
    )
    _notify(
        review,
        permissions.branch_admin_user_ids(activity.branch),
        _("活动记录被退回补充：%s"),
        _("请于 %(deadline)s 前补充后重新提交。原因：%(reason)s")
        % {"deadline": deadline.isoformat(), "reason": reason},
        branch_side=True,
    )
    return review


@transaction.atomic
def pass_record(*, actor: User, activity: Activity, remark: str = "") -> RecordReview:
    """合格: the superior passes a closed activity's record, never reviewed or resubmitted
    after a send-back."""
    permissions.require(actor, Action.REVIEW, activity)
    remark = checked_text(remark, field="remark", limit=TEXT_MAX_CHARS)
    activity = _closed(actor, activity)
    review = RecordReview.objects.select_for_update().filter(activity=activity).first()
    status = review.status if review else None
    _refuse(reviewing.refusal_to_decide(status, review.deadline if review else None, clock.today()))
    if not reviewing.may_pass(status):
        _refuse("already_sent_back")
    before = _status(review)
    now = clock.now()
    decided = {
        "status": ReviewStatus.PASSED,
        "reviewer_org": permissions.superior_org(actor, activity.branch),
        "reviewed_by": actor,
        "reviewed_at": now,
        "passed_at": now,
        "updated_at": now,
    }
    if review is None:
        review = RecordReview.objects.create(activity=activity, branch=activity.branch, **decided)
    else:
        for name, value in decided.items():
            setattr(review, name, value)
        review.save(update_fields=list(decided))
    _step(review, actor=actor, action=ReviewAction.PASS, text=remark, before=before)
    if review.send_back_count:
        _notify(
            review,
            permissions.branch_admin_user_ids(activity.branch),
            _("补充的活动记录已审查合格：%s"),
            branch_side=True,
        )
    return review


@transaction.atomic
def resubmit_record(*, actor: User, review: RecordReview, note: str = "") -> RecordReview:
    """The branch's admins resubmit a record sent back to them, by its deadline day, with
    what they supplemented; whoever sent it back is asked to review it again."""
    permissions.require(actor, Action.ANSWER, review)
    note = checked_text(note, field="note", limit=TEXT_MAX_CHARS)
    review = locked(review, "activity", "branch")
    _refuse(reviewing.refusal_to_resubmit(review.status, review.deadline, clock.today()))
    now = clock.now()
    review.status = ReviewStatus.RESUBMITTED
    review.resubmitted_at = review.updated_at = now
    review.save(update_fields=["status", "resubmitted_at", "updated_at"])
    _step(
        review,
        actor=actor,
        action=ReviewAction.RESUBMIT,
        text=note,
        before={"status": ReviewStatus.SENT_BACK},
    )
    reviewers = [review.reviewed_by_id] if review.reviewed_by_id else []
    _notify(
        review,
        reviewers or permissions.reviewer_user_ids(review.branch),
        _("活动记录已补充，请复审：%s"),
        note,
        branch_side=False,
    )
    return review
