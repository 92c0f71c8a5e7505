"""Quarterly award pages (季度评选): the rounds an admin reads with the form to open one
(the city's admins), a round's page (its step and the city's button to the next, the
counties' quotas, advanced-branch candidates and the model-member form, the cases, the
nominations with withdraw / select, the published results and certificates), the form a
branch submits its case with, and a case's page."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import paginate, posted, render_page, trail
from dangjian.console.views.supervision import MultipleFileField
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response, download_response
from dangjian.core.pages import attempt, form_refusal
from dangjian.permissions import Action
from dangjian.scoring import selectors as scoring
from dangjian.scoring.formula import shift
from dangjian.supervision import award_certificates, award_rules, award_selectors, awards
from dangjian.supervision.models import AwardKind, AwardRoundStatus

STEP_BUTTONS = {
    AwardRoundStatus.NOMINATING: gettext_lazy("开始区县推荐"),
    AwardRoundStatus.SELECTING: gettext_lazy("截止推荐，开始市级评选"),
    AwardRoundStatus.PUBLISHED: gettext_lazy("公布评选结果"),
}


class RoundForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("发起单位"), coerce=int)
    quarter = forms.RegexField(
        label=gettext_lazy("季度"), regex=r"^\d{4}-[Qq][1-4]$", max_length=7, help_text="2026-Q4"
    )
    nomination_deadline = forms.DateField(
        label=gettext_lazy("推荐截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    case_quota = forms.IntegerField(
        label=gettext_lazy("每个区县推荐金点子案例名额"), min_value=0, max_value=100, initial=3
    )
    branch_quota = forms.IntegerField(
        label=gettext_lazy("每个区县推荐先进党支部名额"), min_value=0, max_value=100, initial=3
    )
    member_quota = forms.IntegerField(
        label=gettext_lazy("每个区县推荐实践标兵名额"), min_value=0, max_value=100, initial=3
    )
    candidate_percent = forms.IntegerField(
        label=gettext_lazy("先进党支部候选比例（季度排名前 %）"),
        min_value=1,
        max_value=100,
        initial=30,
    )

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.name) for o in orgs]


class CaseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("案例标题"), max_length=100)
    text = forms.CharField(
        label=gettext_lazy("案例内容"), widget=forms.Textarea(attrs={"rows": 8}), max_length=5000
    )
    activities = forms.TypedMultipleChoiceField(
        label=gettext_lazy("关联的活动"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    photos = MultipleFileField(label=gettext_lazy("照片（最多 9 张）"), required=False)

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activities"].choices = [
            (a.pk, f"{a.starts_at:%Y-%m-%d} {a.title}") for a in activities
        ]


@require_http_methods(["GET", "POST"])
@admin_view
def award_rounds(request):
    actor = request.user
    orgs = permissions.root_orgs(actor)
    next_quarter = scoring.current_period("quarter")
    form = RoundForm(
        posted(request),
        orgs=orgs,
        initial={"quarter": shift(next_quarter, -1).label},
    )
    if request.method == "POST" and orgs and form.is_valid():
        data = dict(form.cleaned_data)
        org = permissions.access_org(actor, data.pop("org"), Action.CHANGE)
        try:
            award_round = awards.open_award_round(
                actor=actor, org=org, quarter=scoring.parse_period(data.pop("quarter")), **data
            )
        except DomainError as exc:
            form_refusal(form, exc)
        else:
            return redirect("console:award_round", round_id=award_round.pk)
    return render_page(
        request,
        "console/supervision/award_rounds.html",
        {
            "page": paginate(request, award_selectors.rounds_in(actor)),
            "form": form if orgs else None,
        },
    )


def _county_panels(actor, award_round, counties, shown: str) -> list[dict]:
    """For each county the actor nominates for: its quota use and, while nominating, its
    advanced-branch candidates: a county's admins see theirs, the city's those of the county
    they open (`?county=`), as every county's list at once is a city's branches."""
    nominating = award_rules.may_nominate(
        award_round.status, award_round.nomination_deadline, clock.today()
    )
    uses = award_selectors.quota_use(award_round, counties)
    panels = []
    for county in counties:
        use = uses[county.pk]
        is_open = nominating and (len(counties) == 1 or shown == str(county.pk))
        panels.append(
            {
                "county": county,
                "use": [(AwardKind(k).label, *use[k]) for k in AwardKind.values],
                "is_open": is_open,
                "candidates": [
                    r
                    for r in award_selectors.branch_candidates(award_round, county)
                    if r.is_candidate
                ]
                if is_open
                else [],
            }
        )
    return panels


@require_GET
@admin_view
def award_round(request, round_id: int):
    actor = request.user
    award_round = permissions.access_award_round(actor, round_id)
    can_change = permissions.can(actor, Action.CHANGE, award_round)
    following = award_rules.next_status(award_round.status)
    counties = award_selectors.counties_of(actor, award_round)
    nominating = award_rules.may_nominate(
        award_round.status, award_round.nomination_deadline, clock.today()
    )
    return render_page(
        request,
        "console/supervision/award_round.html",
        {
            "r": award_round,
            "crumbs": trail(actor, award_round.org),
            "can_change": can_change,
            "next_step": following,
            "next_label": STEP_BUTTONS.get(following),
            "may_submit": award_rules.may_submit_case(
                award_round.status, award_round.nomination_deadline, clock.today()
            ),
            "nominating": nominating and bool(counties),
            "selecting": can_change and award_round.status == AwardRoundStatus.SELECTING,
            "published": award_round.status == AwardRoundStatus.PUBLISHED,
            "panels": _county_panels(actor, award_round, counties, request.GET.get("county", "")),
            "cases": list(award_selectors.cases_of(actor, award_round)[:200]),
            "nominations": list(award_selectors.nominations_of(actor, award_round)),
            "selected": award_selectors.selected_counts(award_round),
            "results": [
                (AwardKind(kind).label, rows)
                for kind, rows in award_selectors.results_of(actor, award_round).items()
            ],
            "own_branches": award_selectors.own_branches(actor, award_round),
        },
    )


@require_POST
@admin_view
def award_round_step(request, round_id: int):
    actor = request.user
    award_round = permissions.access_award_round(actor, round_id, Action.CHANGE)
    step = request.POST.get("to", "")
    if step not in AwardRoundStatus.values:
        raise Http404
    attempt(
        request,
        _("评选已进入“%s”阶段。") % AwardRoundStatus(step).label,
        awards.advance_award_round,
        award_round=award_round,
        to=step,
    )
    return redirect("console:award_round", round_id=award_round.pk)


@require_POST
@admin_view
def award_nominate(request, round_id: int):
    """A county's nomination from the round's page: a case, a candidate branch, or a member
    named by their login phone."""
    actor = request.user
    award_round = permissions.access_award_round(actor, round_id)
    kind = request.POST.get("kind", "")
    reason = request.POST.get("reason", "")
    done = _("已推荐。")
    if kind == AwardKind.CASE:
        case = permissions.access_case(actor, request.POST.get("case"))
        if case.round_id != award_round.pk:
            raise permissions.not_found()
        attempt(request, done, awards.nominate_case, case=case, reason=reason)
    elif kind == AwardKind.BRANCH:
        branch = permissions.access_org(actor, request.POST.get("branch"))
        attempt(
            request,
            done,
            awards.nominate_branch,
            award_round=award_round,
            branch=branch,
            reason=reason,
        )
    elif kind == AwardKind.MEMBER:
        county = permissions.access_org(actor, request.POST.get("county"), Action.SUPERVISE)
        member = award_selectors.county_member(actor, county, request.POST.get("phone", ""))
        if member is None:
            messages.error(request, _("在%s未找到该手机号的在册党员。") % county.name)
        else:
            attempt(
                request,
                done,
                awards.nominate_member,
                award_round=award_round,
                member=member,
                reason=reason,
            )
    else:
        raise Http404
    return redirect("console:award_round", round_id=award_round.pk)


@require_POST
@admin_view
def award_nomination_step(request, nomination_id: int):
    actor = request.user
    nomination = permissions.access_nomination(actor, nomination_id)
    step = request.POST.get("step")
    if step == "withdraw":
        permissions.require(actor, Action.CHANGE, nomination)
        attempt(request, _("已撤回推荐。"), awards.withdraw_nomination, nomination=nomination)
    elif step in ("select", "unselect"):
        permissions.require(actor, Action.REVIEW, nomination)
        attempt(
            request,
            _("已评选。") if step == "select" else _("已取消评选。"),
            awards.select_nomination,
            nomination=nomination,
            selected=step == "select",
        )
    else:
        raise Http404
    return redirect("console:award_round", round_id=nomination.round_id)


@require_GET
@admin_view
def award_certificate(request, nomination_id: int):
    actor = request.user
    nomination = permissions.access_nomination(actor, nomination_id)
    certificate = award_certificates.shown_certificate(actor=actor, nomination=nomination)
    if certificate is None:
        raise Http404
    return download_response(
        certificate.pdf,
        filename=f"certificate-{nomination.pk}.pdf",
        content_type="application/pdf",
        inline=True,
    )


# Cases -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_view
def award_case_new(request, round_id: int):
    """A branch's case: `?branch=` the branch (one the actor administers); its activities of
    the quarter are offered to link."""
    actor = request.user
    award_round = permissions.access_award_round(actor, round_id)
    branch = permissions.access_org(actor, request.GET.get("branch"), Action.CHANGE)
    activities = list(scoring.branch_activities(branch, award_round.period))
    form = CaseForm(posted(request), request.FILES or None, activities=activities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = awards.submit_case(
                actor=actor,
                award_round=award_round,
                branch=branch,
                title=data["title"],
                text=data["text"],
                activity_ids=data["activities"],
                photos=data["photos"],
            )
        except DomainError as exc:
            form_refusal(form, exc)
        else:
            return redirect("console:award_case", case_id=case.pk)
    return render_page(
        request,
        "console/supervision/award_case_form.html",
        {"r": award_round, "branch": branch, "form": form, "crumbs": trail(actor, branch)},
    )


@require_GET
@admin_view
def award_case(request, case_id: int):
    actor = request.user
    case = permissions.access_case(actor, case_id)
    county_path = award_rules.county_path(
        case.branch.path, case.round.org.path, case.branch.steplen
    )
    counties = [c for c in award_selectors.counties_of(actor, case.round) if c.path == county_path]
    nominating = award_rules.may_nominate(
        case.round.status, case.round.nomination_deadline, clock.today()
    )
    return render_page(
        request,
        "console/supervision/award_case.html",
        {
            "case": case,
            "r": case.round,
            "crumbs": trail(actor, case.branch),
            "photos": list(case.photos.all()),
            "activities": list(case.activities.order_by("starts_at")),
            "may_nominate": nominating and bool(counties),
            "nominated": case.nominations.exists(),
        },
    )


@require_GET
@admin_view
def award_case_photo(request, photo_id: int):
    return attachment_response(permissions.access_case_photo(request.user, photo_id))
