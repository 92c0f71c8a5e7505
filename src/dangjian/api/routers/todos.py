"""What waits for the caller (issue 22, point 2): the counts of the console home's to-do
panel (`supervision.todos`), for a client that shows them elsewhere. Admins only, as the
console is: an account that administers nothing is refused (403)."""

from ninja import Router, Schema
from pydantic import Field

from dangjian import permissions
from dangjian.api.auth import actor
from dangjian.api.schemas import ErrorOut
from dangjian.supervision import todos

router = Router(tags=["auth"])
ERRORS = {401: ErrorOut, 403: ErrorOut}


class RectificationsOut(Schema):
    due_soon: int = Field(description=f"open, due within {todos.DUE_SOON_DAYS} days")
    overdue: int = Field(description="open past their deadline")
    to_accept: int = Field(description="answered, waiting for the caller (a superior)")


class TodosOut(Schema):
    plans_to_review: int
    leaves_to_decide: int
    corrections_to_decide: int
    rectifications: RectificationsOut
    records_to_review: int
    records_awaiting_resubmission: int = Field(
        description="sent back by the caller's side, waiting for the branch to resubmit"
    )
    records_to_supplement: int = Field(description="sent back to a branch the caller runs")
    sheet_month: str | None = Field(examples=["2026-11"], description="the latest month due")
    sheets: int = Field(description="that month's supervision sheets in the caller's scope")
    sheet_branches: int = Field(description="the branches those sheets list")

    @staticmethod
    def resolve_sheet_month(obj) -> str | None:
        return obj.sheet_month.strftime("%Y-%m") if obj.sheet_month else None


@router.get("/me/todos", response={200: TodosOut, **ERRORS})
def my_todos(request):
    """How many things wait for the caller, counted in their admin scope as the console's
    home counts them."""
    user = actor(request)
    if not permissions.is_admin(user):
        raise permissions.forbidden()
    return todos.todos(user)
