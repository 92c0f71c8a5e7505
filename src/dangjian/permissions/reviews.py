"""Who reads, decides and answers a record review (issue 21, point 2). Part of
dangjian.permissions, which re-exports every name here: callers import the package.

A record review follows a rectification's rule (`_can_supervision`): read by the admins
over the branch, decided (passed, sent back) by its superiors, answered (supplemented and
resubmitted) by the branch's own admins."""

from django.db.models import QuerySet

from dangjian.permissions import Action, _access, _admin_grants, admin_scope_q
from dangjian.supervision.models import RecordReview


def access_record_review(user, review_id, action: Action | str = Action.READ) -> RecordReview:
    reviews = RecordReview.objects.select_related(
        "activity", "activity__branch", "branch", "reviewer_org"
    )
    return _access(user, reviews, review_id, action)


def scoped_record_reviews(user) -> QuerySet[RecordReview]:
    """Reviews of the records of branches in the user's admin scope."""
    return RecordReview.objects.filter(admin_scope_q(user, "branch__path"))


def answerable_record_reviews(user) -> QuerySet[RecordReview]:
    """Reviews the user answers: of the branches on which they hold an admin role
    (`is_branch_admin`)."""
    if not user.is_authenticated:
        return RecordReview.objects.none()
    return RecordReview.objects.filter(branch_id__in=_admin_grants(user=user).values("org_id"))
