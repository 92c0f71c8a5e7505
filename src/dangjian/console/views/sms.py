"""The demo's SMS outbox (短信发件箱): what the `log` backend sent, so that a newcomer can
follow activation without a phone."""

from django.views.decorators.http import require_GET

from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, render_page
from dangjian.notifications import selectors


@admin_view
@require_GET
def sms_outbox(request):
    page = paginate(request, selectors.sms_outbox(request.user))
    return render_page(request, "console/sms_outbox.html", {"page": page})
