"""The branch secretary's month on the phone (issue 22, point 3).

`/m/month/` shows, for each branch the user administers, this month's theme day: the
campaign, where the branch's plan stands and the next step, with links to every step of
the month on the phone. The rules are the domain's; these views read its selectors."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.core import clock
from dangjian.mobile.decorators import signed_in
from dangjian.themedays import selectors


@require_GET
@signed_in
def month(request):
    """This month's theme day of each branch the user administers."""
    now = clock.now()
    rows = []
    for branch in selectors.administered_branches(request.user):
        day = selectors.theme_day(branch)
        activity = selectors.current_activity_for_branch(branch, day.campaign) if day else None
        rows.append(
            {
                "branch": branch,
                "day": day,
                "activity": activity,
                "stage": selectors.STAGE_LABELS[selectors.stage_of(activity, now)],
            }
        )
    return render(request, "mobile/month/month.html", {"rows": rows})
