"""Quarterly bulletin pages (一季一通报): the bulletins an admin reads with the form to
generate one, a bulletin's preview (its figures, files and versions) with the steps its
state allows (generate again, publish, correct), and its files."""

from django import forms
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, posted, render_page
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import shift
from dangjian.supervision import bulletins
from dangjian.supervision.models import BulletinFileKind, BulletinStatus


class GenerateForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("通报单位"), coerce=int)
    period = forms.RegexField(
        label=gettext_lazy("季度"), regex=r"^\d{4}-[Qq][1-4]$", max_length=7, help_text="2026-Q3"
    )

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.name) for o in orgs]


class CorrectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("更正原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


@require_http_methods(["GET", "POST"])
@admin_view
def bulletin_list(request):
    actor = request.user
    orgs = bulletins.bulletin_orgs(actor)
    last_quarter = shift(scoring.current_period("quarter"), -1).label
    form = GenerateForm(posted(request), orgs=orgs, initial={"period": last_quarter})
    if request.method == "POST" and form.is_valid():
        org = permissions.access_org(actor, form.cleaned_data["org"], Action.CHANGE)
        year, number = form.cleaned_data["period"].upper().split("-Q")
        try:
            job = bulletins.request_bulletin(
                actor=actor, org=org, year=int(year), quarter=int(number)
            )
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            form.add_error("period" if exc.details.get("field") else None, exc.message)
        else:
            # Its job's page counts the steps, then links to the draft.
            return redirect("console:job_detail", job.pk)
    return render_page(
        request,
        "console/supervision/bulletin_list.html",
        {
            "page": paginate(request, bulletins.bulletins_for(actor)),
            "form": form if orgs else None,
        },
    )


@require_GET
@admin_view
def bulletin_detail(request, bulletin_id: int):
    actor = request.user
    bulletin = permissions.access_bulletin(actor, bulletin_id)
    can_change = permissions.can(actor, Action.CHANGE, bulletin)
    return render_page(
        request,
        "console/supervision/bulletin_detail.html",
        {
            "b": bulletin,
            "f": bulletin.figures,
            "files": {f.kind: f for f in bulletin.files.all()},
            "versions": bulletins.versions_of(bulletin),
            "can_change": can_change,
            "is_draft": bulletin.status == BulletinStatus.DRAFT,
            "is_current": bulletin.status == BulletinStatus.PUBLISHED,
            "correct_form": CorrectForm(),
            "today": clock.today(),
        },
    )


@require_POST
@admin_view
def bulletin_step(request, bulletin_id: int, step: str):
    actor = request.user
    bulletin = permissions.access_bulletin(actor, bulletin_id, Action.CHANGE)
    if step == "publish":
        attempt(
            request,
            _("通报已发布，正在通知下级组织和党员。"),
            bulletins.publish_bulletin,
            bulletin=bulletin,
        )
    elif step == "regenerate":
        job = attempt(
            request,
            _("正在按最新数据重新生成草稿。"),
            bulletins.request_bulletin,
            org=bulletin.org,
            year=bulletin.year,
            quarter=bulletin.quarter,
        )
        if job is not None:
            return redirect("console:job_detail", job.pk)
    elif step == "correct":
        form = CorrectForm(request.POST)
        reason = form.data.get("reason", "")
        correction = attempt(
            request,
            _("已生成更正稿，请核对后发布。"),
            bulletins.correct_bulletin,
            bulletin=bulletin,
            reason=reason,
        )
        if correction is not None:
            return redirect("console:bulletin_detail", bulletin_id=correction.pk)
    else:
        raise Http404
    return redirect("console:bulletin_detail", bulletin_id=bulletin.pk)


@require_GET
@admin_view
def bulletin_file(request, bulletin_id: int, kind: str):
    if kind not in BulletinFileKind.values:
        raise Http404
    bulletin = permissions.access_bulletin(request.user, bulletin_id)
    return attachment_response(bulletins.file_of(bulletin, kind))
