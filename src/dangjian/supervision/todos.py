"""What waits for an admin (issue 22, point 2): the to-dos of the console's home, the badges
of its menu and `GET /api/v1/me/todos`, counted in one place and in the admin's scope.

For a superior (an admin above branches): plans to review, leave and attendance corrections
to decide, records waiting for review and those they sent back awaiting resubmission,
answered rectifications to accept. For the branch's own admins: the records sent back to
their branch. For both: the rectifications of their scope due within `DUE_SOON_DAYS` days
or overdue, and the month's supervision sheets. Each count is one query over a scoped
queryset (never a row per item); an account that administers nothing has nothing to do
and costs no query beyond its roles."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Subquery, Sum

from dangjian import permissions
from dangjian.attendance import selectors as attendance
from dangjian.core import clock
from dangjian.supervision import monthly, review_selectors
from dangjian.supervision.models import RectificationStatus, ReviewStatus
from dangjian.supervision.selectors import overdue_q
from dangjian.themedays import selectors as themedays

# A rectification still open whose deadline falls within this many days is due soon.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Rectifications:
    due_soon: int = 0
    overdue: int = 0
    to_accept: int = 0

    @property
    def waiting(self) -> int:
        return self.due_soon + self.overdue + self.to_accept


@dataclass(frozen=True)
class Todos:
    plans_to_review: int = 0
    leaves_to_decide: int = 0
    corrections_to_decide: int = 0
    rectifications: Rectifications = Rectifications()
    records_to_review: int = 0
    # Sent back by the actor's side (a superior), waiting for the branch to resubmit.
    records_awaiting_resubmission: int = 0
    # Sent back to a branch the actor runs, waiting for their supplement.
    records_to_supplement: int = 0
    # The latest month whose supervision sheets are due, its sheets in scope and the
    # branches they list.
    sheet_month: date | None = None
    sheets: int = 0
    sheet_branches: int = 0


def plans_to_review(actor) -> int:
    """Submitted plans waiting for the actor's review (the 计划审核 queue)."""
    if not permissions.is_admin(actor):
        return 0
    return themedays.review_queue(actor).order_by().count()


def records_to_review(actor, limit: int | None = None) -> int:
    """Closed records waiting for the actor's review, counted up to `limit`."""
    return review_selectors.queue_count(actor, limit)


def _due_soon_q(today: date) -> Q:
    return Q(
        status=RectificationStatus.OPEN,
        deadline__gte=today,
        deadline__lte=today + timedelta(days=DUE_SOON_DAYS),
    )


def _to_accept_q(actor) -> Q:
    return Q(status=RectificationStatus.ANSWERED) & permissions.admin_above_q(actor, "branch__path")


def rectifications(actor, today: date | None = None) -> Rectifications:
    """The rectifications of the actor's scope still open and due within `DUE_SOON_DAYS`
    days, still open past their deadline, and answered ones the actor accepts (a superior
    of their branch): one query."""
    if not permissions.is_admin(actor):
        return Rectifications()
    today = today or clock.today()
    counts = permissions.scoped_rectifications(actor).aggregate(
        due_soon=Count("pk", filter=_due_soon_q(today)),
        overdue=Count("pk", filter=overdue_q(today)),
        to_accept=Count("pk", filter=_to_accept_q(actor)),
    )
    return Rectifications(**counts)


@dataclass(frozen=True)
class MenuCounts:
    plans: int = 0
    # Leave requests and corrections (the 考勤审批 inbox).
    decisions: int = 0
    # Rectifications due soon, overdue or to accept.
    rectifications: int = 0


def _counted(queryset: QuerySet) -> Subquery:
    """`queryset`'s count as a scalar subquery (COUNT without GROUP BY: one row)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def menu_counts(actor, today: date | None = None) -> MenuCounts:
    """The console menu's badges, drawn on every page: the plans to review, the decisions
    waiting in the attendance inbox and the rectifications waiting, in one query (the
    record review's badge, counted up to a limit, is `records_to_review`)."""
    if not permissions.is_admin(actor):
        return MenuCounts()
    today = today or clock.today()
    waiting = Q(overdue_q(today) | _due_soon_q(today) | _to_accept_q(actor))
    # The counts ride on the actor's own row: a query needs a table, and that row is there.
    row = (
        get_user_model()
        .objects.filter(pk=actor.pk)
        .values(
            plans=_counted(themedays.review_queue(actor)),
            leaves=_counted(attendance.pending_leaves(actor)),
            corrections=_counted(attendance.corrections_to_review(actor)),
            rectifications=_counted(permissions.scoped_rectifications(actor).filter(waiting)),
        )
        .get()
    )
    return MenuCounts(
        plans=row["plans"],
        decisions=row["leaves"] + row["corrections"],
        rectifications=row["rectifications"],
    )


def sheet_month(today: date | None = None) -> date:
    """The month whose supervision sheets are the latest due."""
    return monthly.month_due(today or clock.today(), monthly.policy().day)


def todos(actor, today: date | None = None) -> Todos:
    """Every count of the actor's to-do panel, in a fixed number of queries whatever the
    number of items."""
    if not permissions.is_admin(actor):
        return Todos()
    today = today or clock.today()
    month = sheet_month(today)
    sheets = monthly.sheets_for(actor, month=month).aggregate(n=Count("pk"), listed=Sum("listed"))
    return Todos(
        plans_to_review=plans_to_review(actor),
        leaves_to_decide=attendance.pending_leaves(actor).order_by().count(),
        corrections_to_decide=attendance.corrections_to_review(actor).order_by().count(),
        rectifications=rectifications(actor, today),
        records_to_review=records_to_review(actor),
        records_awaiting_resubmission=review_selectors.review_queue(
            actor, None, ReviewStatus.SENT_BACK
        )
        .order_by()
        .count(),
        records_to_supplement=review_selectors.sent_back_records(actor).order_by().count(),
        sheet_month=month,
        sheets=sheets["n"],
        sheet_branches=sheets["listed"] or 0,
    )
