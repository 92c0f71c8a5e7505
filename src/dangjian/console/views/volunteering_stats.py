"""志愿服务统计: the volunteer cloud call's figures for an organization the admin keeps and a
period (issue 20 point 9), read from volunteering.stats in a few aggregate queries."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import render_page
from dangjian.core.errors import DomainError
from dangjian.scoring import selectors as periods
from dangjian.volunteering import stats
from dangjian.volunteering.models import OrderState


def _hours(took) -> str:
    if took is None:
        return "—"
    return _("%.1f 小时") % (took.total_seconds() / 3600)


@require_GET
@admin_view
def volunteer_stats(request, org_id: int):
    org = permissions.access_figures_org(request.user, org_id)
    period = periods.current_period("month")
    text = request.GET.get("period", "").strip()
    if text:
        try:
            period = periods.parse_period(text)
        except DomainError as exc:
            messages.error(request, exc.message)
    f = stats.figures_for(org, start=period.start, end=period.end)
    share = stats.rated_share(f)
    return render_page(
        request,
        "console/volunteering/stats.html",
        {
            "org": org,
            "period": period,
            "f": f,
            "states": OrderState.choices,
            "communities": [
                {"row": c, "counts": [c.counts[s] for s, _label in OrderState.choices]}
                for c in f.communities
            ],
            "to_publish": _hours(f.mean_time_to_publish),
            "to_claim": _hours(f.mean_time_to_first_claim),
            "rated_share": None if share is None else round(share * 100),
            "here": "volunteer_stats",
        },
    )
