"""The back office's home (工作台, issue 22 point 2): where city, county and town admins land
after signing in. Their scope's month at a glance (from the stored scores) and the to-do
panel: each thing waiting for them with its count (`supervision.todos`), linking to the
page that handles it, filtered where that page can be."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian.console.decorators import admin_view
from dangjian.console.views.base import render_page
from dangjian.console.views.record_reviews import ALL_MONTHS
from dangjian.registry import selectors as registry
from dangjian.scoring import selectors as scoring
from dangjian.supervision import todos as todo_selectors


@dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str
    # Drawn in red while its count is not zero (late, or a decision others wait for).
    urgent: bool = False


def _url(name: str, *args, **query) -> str:
    url = reverse(f"console:{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def todo_rows(todos: todo_selectors.Todos, org) -> list[Todo]:
    """The panel's rows, in the order a day's work takes them."""
    rect = todos.rectifications
    supervision = (lambda **q: _url("org_supervision", org.pk, **q)) if org else None
    rows = [
        Todo("plans", _("待审核计划"), todos.plans_to_review, _url("review_queue"), True),
        Todo(
            "leaves",
            _("待审批请假"),
            todos.leaves_to_decide,
            _url("attendance_inbox") + "#leaves",
            True,
        ),
        Todo(
            "corrections",
            _("待审批考勤更正"),
            todos.corrections_to_decide,
            _url("attendance_inbox") + "#corrections",
            True,
        ),
        Todo(
            "records",
            _("待审查活动记录"),
            todos.records_to_review,
            # Every month's, as counted (the queue alone opens on the latest month).
            _url("record_review_queue", period=ALL_MONTHS),
        ),
        Todo(
            "records_sent_back",
            _("已退回待重新提交"),
            todos.records_awaiting_resubmission,
            _url("record_review_queue", state="sent_back"),
        ),
    ]
    if supervision is not None:
        rows += [
            Todo("rect_overdue", _("逾期整改"), rect.overdue, supervision(overdue="1"), True),
            Todo(
                "rect_due",
                _("%(days)d天内到期的整改") % {"days": todo_selectors.DUE_SOON_DAYS},
                rect.due_soon,
                supervision(status="open"),
            ),
            Todo("rect_answered", _("待验收整改"), rect.to_accept, supervision(status="answered")),
        ]
    if todos.records_to_supplement:
        rows.append(
            Todo(
                "records_to_supplement",
                _("本支部被退回待补充的记录"),
                todos.records_to_supplement,
                reverse("mobile:records"),
                True,
            )
        )
    if todos.sheet_month is not None:
        label = todos.sheet_month.strftime("%Y-%m")
        rows.append(
            Todo(
                "sheet",
                _("%(month)s 月度督查表") % {"month": label},
                todos.sheets,
                _url("monthly_sheets", month=label),
            )
        )
    return rows


@require_GET
@admin_view
def home(request):
    actor = request.user
    org = registry.top_orgs(actor).first()
    todos = todo_selectors.todos(actor)
    period = scoring.current_period("month")
    dash = scoring.dashboard(org, period) if org is not None and not org.is_branch else None
    return render_page(
        request,
        "console/home.html",
        {
            "org": org,
            "nav_org": org,
            "todos": todos,
            "rows": todo_rows(todos, org),
            "period": period,
            "dash": dash,
        },
    )
