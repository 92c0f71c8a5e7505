"""Record review on the phone (docs/product.md, "Record review"): the branch secretary
sees the records a superior sent back (退回补充) with the reason and the deadline, adds
photos, rewrites the summary, and resubmits. The rules are the services'
(`supervision.reviews`, `interaction.services`); these views carry input to them."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.core.pages import attempt
from dangjian.interaction import selectors as interaction
from dangjian.interaction import services as interaction_services
from dangjian.mobile.decorators import signed_in
from dangjian.permissions import Action
from dangjian.supervision import review_selectors, reviewing, reviews


@require_GET
@signed_in
def record_list(request):
    """The records sent back to the branches the user runs, nearest deadline first."""
    return render(
        request,
        "mobile/records/list.html",
        {"reviews": list(review_selectors.sent_back_records(request.user)[:100])},
    )


@require_http_methods(["GET", "POST"])
@signed_in
def record_detail(request, review_id: int):
    user = request.user
    review = permissions.access_record_review(user, review_id)
    activity = review.activity
    can_answer = permissions.can(user, Action.ANSWER, review)
    if request.method == "POST":
        permissions.require(user, Action.ANSWER, review)
        action = request.POST.get("action")
        if action == "summary":
            attempt(
                request,
                _("活动总结已保存。"),
                interaction_services.write_summary,
                activity=activity,
                text=request.POST.get("text", ""),
            )
        elif action == "photos":
            for file in request.FILES.getlist("photos"):
                attempt(
                    request,
                    _("已上传照片：%s") % file.name,
                    interaction_services.upload_photo,
                    activity=activity,
                    file=file,
                    name=file.name,
                )
        elif action == "resubmit" and attempt(
            request,
            _("已重新提交，等待上级复审。"),
            reviews.resubmit_record,
            review=review,
            note=request.POST.get("note", ""),
        ):
            return redirect("mobile:records")
        return redirect("mobile:record", review_id=review.pk)
    summary = interaction.summary_of(activity)
    return render(
        request,
        "mobile/records/detail.html",
        {
            "review": review,
            "activity": activity,
            "events": review_selectors.history(review),
            "overdue": review_selectors.is_overdue(review),
            "photos": list(interaction.photos_of(activity)),
            "summary": summary,
            "can_supplement": can_answer and reviewing.supplement_open(review.status),
        },
    )
