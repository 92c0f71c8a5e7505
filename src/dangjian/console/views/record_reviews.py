"""Record review on the console (docs/product.md, "Record review"): the queue of closed
activities whose records the admin reviews, and the review page, where a superior passes
a record (合格) or sends it back (退回补充) with a reason and a deadline."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, posted, render_page, trail
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.pages import form_refusal
from dangjian.interaction import selectors as interaction
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import shift
from dangjian.supervision import review_selectors, reviewing, reviews

STATES = {
    "todo": gettext_lazy("待审查"),
    "sent_back": gettext_lazy("已退回补充"),
    "passed": gettext_lazy("已合格"),
}


# The queue's `period` that lists every month's records at once.
ALL_MONTHS = "all"


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(
        label=gettext_lazy("补充期限"), widget=forms.DateInput(attrs={"type": "date"})
    )


@require_GET
@admin_view
def record_review_queue(request):
    """Flagged photos and thin summaries first (`review_selectors.review_queue`)."""
    state = request.GET.get("state", "todo")
    if state not in STATES:
        state = "todo"
    asked = request.GET.get("period", "")
    # Waiting for the branches: every one, whenever held; the rest a period at a time, or
    # every month at once when asked (where the home's to-do and the menu's badge lead, so
    # that the page lists what they count).
    all_months = state == "sent_back" or asked == ALL_MONTHS
    period = None
    if not all_months:
        try:
            period = scoring.parse_period(asked) if asked else None
        except DomainError:
            period = None
        if period is None:
            period = review_selectors.latest_period(request.user)
    queue = review_selectors.review_queue(request.user, None, state, period)
    page = paginate(request, queue)
    return render_page(
        request,
        "console/supervision/record_queue.html",
        {
            "page": page,
            "rows": review_selectors.with_missing_items(list(page.object_list)),
            "state": state,
            "states": STATES.items(),
            "period": period,
            "all_months": all_months,
            "ALL_MONTHS": ALL_MONTHS,
            "earlier": shift(period, -1) if period else None,
            "later": shift(period, 1) if period else None,
            "thin_chars": reviewing.THIN_SUMMARY_CHARS,
            "today": clock.today(),
        },
    )


@require_http_methods(["GET", "POST"])
@admin_view
def record_review(request, activity_id: int):
    actor = request.user
    activity = permissions.access_activity(actor, activity_id)
    can_decide = permissions.can(actor, Action.REVIEW, activity)
    form = SendBackForm(posted(request) if request.POST.get("action") == "send_back" else None)
    if request.method == "POST":
        permissions.require(actor, Action.REVIEW, activity)
        try:
            if request.POST.get("action") == "pass":
                reviews.pass_record(
                    actor=actor, activity=activity, remark=request.POST.get("remark", "")
                )
                messages.success(request, _("活动记录已审查合格。"))
                return redirect("console:record_review_queue")
            if form.is_valid():
                reviews.send_back_record(actor=actor, activity=activity, **form.cleaned_data)
                messages.success(request, _("已退回补充，支部管理员已收到通知。"))
                return redirect("console:record_review_queue")
        except DomainError as exc:
            form_refusal(form, exc)
    review = review_selectors.review_of(actor, activity)
    summary = interaction.summary_of(activity)
    today = clock.today()
    status = review.status if review else None
    return render_page(
        request,
        "console/supervision/record_review.html",
        {
            "activity": activity,
            "crumbs": trail(actor, activity.branch),
            "photos": list(interaction.photos_of(activity)),
            "summary": summary,
            "missing": review_selectors.with_missing_items([activity])[0].missing_item_labels,
            "review": review,
            "events": review_selectors.history(review) if review else [],
            "overdue": bool(review) and review_selectors.is_overdue(review, today),
            "may_decide": can_decide
            and activity.status == "closed"
            and reviewing.refusal_to_decide(status, review.deadline if review else None, today)
            is None,
            "may_pass": reviewing.may_pass(status),
            "form": form,
            "thin": reviewing.is_thin(len(summary.text.strip()) if summary else 0),
        },
    )
