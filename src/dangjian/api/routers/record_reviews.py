"""Record review over the API (docs/product.md, "Record review"): the reviewers' queue,
passing and sending back a closed activity's record, the branch's resubmission, the
history."""

from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.pagination import Mapped, Page
from dangjian.api.schemas import ErrorOut, UserName
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.supervision import review_selectors, reviewing, reviews
from dangjian.supervision.models import RecordReview

router = Router(tags=["record review"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReviewEventOut(Schema):
    action: Literal["send_back", "resubmit", "pass"]
    actor: UserName | None
    text: str
    deadline: date | None
    at: datetime


class ReviewOut(Schema):
    id: int
    activity_id: int
    activity_title: str = Field(alias="activity.title")
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    status: Literal["sent_back", "resubmitted", "passed"]
    reason: str = Field(description="The latest send-back's reason")
    deadline: date | None = Field(description="The latest send-back's deadline")
    is_overdue: bool = Field(description="Sent back and its deadline day is over")
    send_back_count: int
    reviewer_org_id: int
    reviewed_at: datetime
    resubmitted_at: datetime | None
    passed_at: datetime | None

    @staticmethod
    def resolve_is_overdue(review: RecordReview) -> bool:
        return review_selectors.is_overdue(review)


class ReviewDetailOut(ReviewOut):
    events: list[ReviewEventOut]

    @staticmethod
    def resolve_events(review: RecordReview):
        return review_selectors.history(review)


class QueueReviewOut(Schema):
    id: int
    status: str
    deadline: date | None
    send_back_count: int


class QueueItemOut(Schema):
    activity_id: int = Field(alias="pk")
    title: str
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    starts_at: datetime
    closed_at: datetime | None
    flagged_photos: int
    summary_chars: int
    is_thin_summary: bool
    missing_items: list[str] = Field(description="Codes of the required items not marked done")
    review: QueueReviewOut | None

    @staticmethod
    def resolve_is_thin_summary(activity) -> bool:
        return reviewing.is_thin(activity.summary_chars)

    @staticmethod
    def resolve_review(activity):
        return getattr(activity, "record_review", None)


class QueueFilters(Schema):
    state: Literal["todo", "sent_back", "passed"] = Field(
        "todo",
        description="todo: closed and not reviewed, or resubmitted; sent_back: waiting for "
        "the branch; passed",
    )
    org_id: int | None = Field(None, description="Only the branches under this organization")
    period: str | None = Field(
        None,
        examples=["2026-11", "2026-Q4", "2026"],
        description="Activities started in this month, quarter or year; by default the "
        "month of the latest one (todo, passed) or every period (sent_back)",
    )


@router.get("/record-reviews/queue", response={200: list[QueueItemOut], **ERRORS})
@paginate(Page)
def review_queue(request, filters: Query[QueueFilters]):
    """The closed activities whose records the caller reviews (the branches below an
    organization they administer): flagged photos first, then thin summaries, then missing
    required items."""
    user = actor(request)
    org = permissions.access_org(user, filters.org_id) if filters.org_id else None
    period = scoring.parse_period(filters.period) if filters.period else None
    if period is None and filters.state != "sent_back":
        period = review_selectors.latest_period(user, org)
    queue = review_selectors.review_queue(user, org, filters.state, period)
    return Mapped(queue, review_selectors.with_missing_items)


@router.get("/record-reviews/sent-back", response={200: list[ReviewOut], **ERRORS})
@paginate(Page)
def sent_back(request):
    """The records sent back to the branches the caller runs, nearest deadline first."""
    return review_selectors.sent_back_records(actor(request))


class SendBackIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    deadline: date


@router.post(
    "/activities/{activity_id}/record-review/send-back", response={200: ReviewDetailOut, **ERRORS}
)
def send_back_record(request, activity_id: int, payload: SendBackIn):
    """退回补充: a superior of the branch sends the closed activity's record back."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.REVIEW)
    return reviews.send_back_record(
        actor=user, activity=activity, reason=payload.reason, deadline=payload.deadline
    )


class PassIn(Schema):
    remark: str = Field("", max_length=2000)


@router.post(
    "/activities/{activity_id}/record-review/pass", response={200: ReviewDetailOut, **ERRORS}
)
def pass_record(request, activity_id: int, payload: PassIn):
    """合格: a superior of the branch passes the closed activity's record."""
    user = actor(request)
    activity = permissions.access_activity(user, activity_id, Action.REVIEW)
    return reviews.pass_record(actor=user, activity=activity, remark=payload.remark)


class ResubmitIn(Schema):
    note: str = Field("", max_length=2000, description="What was supplemented")


@router.post("/record-reviews/{review_id}/resubmit", response={200: ReviewDetailOut, **ERRORS})
def resubmit_record(request, review_id: int, payload: ResubmitIn):
    """The branch's admins resubmit the supplemented record, by the deadline day."""
    user = actor(request)
    review = permissions.access_record_review(user, review_id, Action.ANSWER)
    return reviews.resubmit_record(actor=user, review=review, note=payload.note)


@router.get("/record-reviews/{review_id}", response={200: ReviewDetailOut, **ERRORS})
def get_review(request, review_id: int):
    """Where the review stands, with every step."""
    return permissions.access_record_review(actor(request), review_id)
