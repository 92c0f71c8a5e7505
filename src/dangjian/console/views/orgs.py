"""The organization tree: browse, search, detail, create, edit and move, admins."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.forms import GrantForm, OrgEditForm, OrgForm, add_domain_error
from dangjian.console.views.base import (
    breadcrumb,
    breadcrumbs,
    form_page,
    org_reference,
    posted,
    render_page,
    resolve_org,
    trail,
)
from dangjian.core.errors import DomainError
from dangjian.notifications import selectors as notification_selectors
from dangjian.permissions import Action
from dangjian.registry import crypto, idcard, invitations, selectors, services
from dangjian.registry.models import OrgKind
from dangjian.supervision import appraisal_selectors

SEARCH_LIMIT = 50


@require_GET
@admin_view
def index(request):
    return render_page(
        request, "console/index.html", {"orgs": list(selectors.top_orgs(request.user))}
    )


@require_GET
@admin_view
def org_children(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.READ)
    return render(
        request, "console/partials/org_nodes.html", {"orgs": list(selectors.children(org))}
    )


@require_GET
@admin_view
def org_search(request):
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrgKind.values else ""
    # `pick` names a form field: the results then offer to fill it instead of linking away.
    pick = request.GET.get("pick", "")
    results: list = []
    if q:
        results = list(selectors.search_orgs(request.user, q=q, kind=kind)[:SEARCH_LIMIT])
    crumbs = breadcrumbs(request.user, results)
    rows = [(org, crumbs[org.pk], org_reference(org)) for org in results]
    context = {"q": q, "rows": rows, "pick": pick, "limit": SEARCH_LIMIT, "kind": kind}
    if request.htmx:
        return render(request, "console/partials/org_search_results.html", context)
    return render_page(request, "console/org_search.html", context)


@require_GET
@admin_view
def org_detail(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.READ)
    members = selectors.members_of(actor, org)
    activation, child_rates = selectors.activation_rates(org)
    context = {
        "org": org,
        "crumbs": breadcrumb(actor, org),
        "children": child_rates,
        "activation": activation,
        "member_count": members.count(),
        "flowing_count": members.filter(is_flowing=True).count(),
        "admins": list(selectors.admins_of(org)),
        "can_change": permissions.can(actor, Action.CHANGE, org),
        "star_rating": appraisal_selectors.star_rating(org) if org.is_branch else None,
    }
    return render_page(request, "console/org_detail.html", context)


@require_http_methods(["POST"])
@admin_view
def org_invite(request, org_id: int):
    """Invite the members of the organization who have not activated their account."""
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    try:
        result = invitations.invite(actor=request.user, org=org)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已向%(n)d名未激活的党员发送激活邀请短信。") % {"n": result["members"]}
        )
        # Its job's page shows the batches being sent, then the summary.
        job = notification_selectors.latest_job(request.user, invitations.invitation_subject(org))
        if job is not None:
            return redirect("console:job_detail", job_id=job.pk)
    return redirect("console:org_detail", org_id=org.pk)


@require_http_methods(["GET", "POST"])
@admin_view
def org_create(request, parent_id: int):
    actor = request.user
    parent = permissions.access_org(actor, parent_id, Action.CHANGE)
    default_kind = OrgKind.BRANCH if parent.kind == OrgKind.GENERAL_BRANCH else ""
    form = OrgForm(posted(request), initial={"sector": parent.sector, "kind": default_kind or None})

    def save():
        org = services.create_organization(actor=actor, parent=parent, **form.cleaned_data)
        messages.success(request, _("已创建组织“%(name)s”。") % {"name": org.name})
        return redirect("console:org_detail", org_id=org.pk)

    context = {"parent": parent, "crumbs": trail(actor, parent)}
    return form_page(request, form, "console/org_form.html", context, save)


@require_http_methods(["GET", "POST"])
@admin_view
def org_edit(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.CHANGE)
    initial = {f: getattr(org, f) for f in ("name", "code", "kind", "sector", "category")}
    form = OrgEditForm(posted(request), initial=initial)

    def save():
        data = dict(form.cleaned_data)
        target = data.pop("new_parent").strip()
        new_parent = None
        if target:
            try:
                new_parent = resolve_org(actor, target)
            except DomainError as exc:
                raise DomainError(exc.code, exc.message, field="new_parent") from exc
        try:
            # One transaction for both services: a refused edit also undoes the move.
            with transaction.atomic():
                if new_parent is not None and new_parent.path != org.path[: -org.steplen]:
                    services.move_organization(actor=actor, org=org, new_parent=new_parent)
                services.update_organization(actor=actor, org=org, **data)
        except DomainError:
            org.refresh_from_db()  # a rolled-back move left the new path on the instance
            raise
        messages.success(request, _("已保存。"))
        return redirect("console:org_detail", org_id=org.pk)

    context = {"org": org, "crumbs": trail(actor, org), "parents": breadcrumb(actor, org)}
    return form_page(request, form, "console/org_edit.html", context, save)


def _find_member_user(actor, value: str):
    """A member in the actor's scope by exact phone or exact ID number."""
    value = value.strip()
    query = Q(user__phone=value)
    if len(value) == 18:
        query |= Q(id_number_hash=crypto.keyed_hash(idcard.normalize(value)))
    member = (
        permissions.scoped_members(actor)
        .filter(query, is_active=True)
        .select_related("user")
        .first()
    )
    return member.user if member else None


@require_http_methods(["GET", "POST"])
@admin_view
def org_admins(request, org_id: int):
    actor = request.user
    org = permissions.access_org(actor, org_id, Action.GRANT)
    form = GrantForm()
    if request.method == "POST" and request.POST.get("action") == "revoke":
        grant = selectors.admins_of(org).filter(user_id=request.POST.get("user_id") or 0).first()
        if grant is None:
            messages.error(request, _("该用户不是本组织的管理员。"))
        else:
            services.revoke_admin(actor=actor, grant=grant)
            messages.success(request, _("已撤销%(name)s的管理员权限。") % {"name": grant.user.name})
        return redirect("console:org_admins", org_id=org.pk)
    if request.method == "POST":
        form = GrantForm(request.POST)
        if form.is_valid():
            user = _find_member_user(actor, form.cleaned_data["who"])
            if user is None:
                form.add_error("who", _("在您的管理范围内没有找到该党员"))
            else:
                try:
                    services.grant_admin(actor=actor, org=org, user=user)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, _("已授予%(name)s管理员权限。") % {"name": user.name})
                    return redirect("console:org_admins", org_id=org.pk)
    grants = list(selectors.admins_of(org).select_related("granted_by"))
    return render_page(
        request,
        "console/org_admins.html",
        {
            "org": org,
            "crumbs": trail(actor, org),
            "grants": grants,
            # Whose password this admin may reset (a superior of every role they hold).
            "resettable": {
                g.user_id for g in grants if permissions.is_superior_of_admin(actor, g.user)
            },
            "form": form,
        },
    )
