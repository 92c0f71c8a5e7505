"""Helpers shared by the console views: the page frame, what an import refused, and picking
an organization that a user typed or chose in a search."""

import functools

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.console.forms import add_domain_error
from dangjian.core.errors import DomainError
from dangjian.core.text import whole_number
from dangjian.registry import selectors
from dangjian.registry.models import Organization
from dangjian.supervision import todos

PAGE_SIZE = 50


def render_page(request, template: str, context: dict | None = None, status: int = 200):
    """Render a console page with what the frame needs (the sidebar links go to the first
    organization the user administers; the plan review's, the attendance inbox's, the
    record review's and the rectifications' links show how many items wait, counted by
    `supervision.todos` as the home's to-do panel counts them). The counts are callables,
    so that the partials htmx polls, which draw no sidebar, never run their queries."""
    context = dict(context or {})
    actor = request.user
    context.setdefault("nav_org", selectors.top_orgs(actor).first())
    menu = functools.cache(lambda: todos.menu_counts(actor))  # one query, when drawn
    context.setdefault("nav_plans", lambda: menu().plans)
    context.setdefault("nav_waiting", lambda: menu().decisions)
    context.setdefault("nav_records", lambda: todos.records_to_review(actor, 100))
    context.setdefault("nav_rectifications", lambda: menu().rectifications)
    context.setdefault("nav_sms_outbox", permissions.may_read_sms_outbox(request.user))
    return render(request, template, context, status=status)


def form_page(request, form, template: str, context: dict, save):
    """A page that is one form. On a valid POST `save()` runs the services and returns the
    page that follows (a redirect, its message given); a refusal is shown on the form,
    which is drawn again as for a GET or an invalid form."""
    if request.method == "POST" and form.is_valid():
        try:
            return save()
        except DomainError as exc:
            add_domain_error(form, exc)
    return render_page(request, template, {"form": form, **context})


def posted(request):
    """The form data of a POST, None otherwise. (`request.POST or None` would leave a form
    posted with every field empty unbound, so that it would show no errors.)"""
    return request.POST if request.method == "POST" else None


def import_refusal(exc: DomainError | None = None) -> dict:
    """What an import page shows of a refused file (nothing without one): each row's error,
    the first ones with how many there are, or the one message of a refusal that is not
    about rows. Not found and forbidden are the page's answer, not the file's: they go on."""
    if exc is None:
        return {"error": None, "row_errors": [], "error_count": 0}
    if exc.code in ("not_found", "forbidden"):
        raise exc
    row_errors = exc.details.get("errors") or []
    return {
        "error": None if row_errors else exc.message,
        "row_errors": row_errors,
        "error_count": exc.details.get("error_count") or len(row_errors),
    }


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def org_reference(org: Organization) -> str:
    """What the org pickers put into a form field: the code, or `#id` for an organization
    without one."""
    return org.code or f"#{org.pk}"


def resolve_org(actor, value: str) -> Organization:
    """The organization a user typed (a code, or `#id` from the picker), within the
    actor's scope; a DomainError that a form can show otherwise."""
    value = (value or "").strip()
    org = None
    if value.startswith("#") and (pk := whole_number(value[1:])) is not None:
        org = permissions.scoped_orgs(actor).filter(pk=pk).first()
    elif value:
        org = permissions.scoped_orgs(actor).filter(code=value).first()
    if org is None:
        raise DomainError("not_found", _("未找到该组织，或它不在您的管理范围内"))
    return org


def breadcrumb(actor, org: Organization) -> list[Organization]:
    """The ancestors of `org` that the actor may read, outermost first."""
    paths = org.ancestor_paths()
    if not paths:
        return []
    return list(permissions.scoped_orgs(actor).filter(path__in=paths).order_by("depth"))


def trail(actor, org: Organization) -> list[Organization]:
    """The breadcrumb of a page about `org` or something in it: its ancestors and itself."""
    return [*breadcrumb(actor, org), org]


def breadcrumbs(actor, orgs: list[Organization]) -> dict[int, list[Organization]]:
    """The readable ancestors of each of a page of organizations, in one query."""
    wanted = {p for o in orgs for p in o.ancestor_paths()}
    by_path = (
        {o.path: o for o in permissions.scoped_orgs(actor).filter(path__in=wanted)}
        if wanted
        else {}
    )
    return {o.pk: [by_path[p] for p in o.ancestor_paths() if p in by_path] for o in orgs}
