"""The scoring policy page (评分规则): every version of the weights and the upload rule,
and, for a root admin (the city's organization department), the form that publishes a new
version. Any admin may read the versions, since every score says which one it used."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import posted, render_page
from dangjian.core import labels
from dangjian.core.errors import DomainError
from dangjian.scoring import formula, policies, services
from dangjian.scoring.models import ScoringPolicy

WEIGHT_LABELS = labels.SCORE_COMPONENTS
# Where each of the service's problems is shown on the form (None: above the weights).
PROBLEM_FIELDS = {
    "weights_components": None,
    "weights_negative": None,
    "weights_sum": None,
    "photos_target": "upload_photos_target",
    "summary_chars": "upload_summary_chars",
    "photos_share": "upload_photos_share",
}


def _label(field: str):
    return ScoringPolicy._meta.get_field(field).verbose_name


def _number(field: str, help_text=""):
    # No bounds here: the service judges the values, with the same words as in the API.
    label = _label(field)
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        error_messages={"required": _("请填写%s") % label, "invalid": _("请填写整数")},
        widget=forms.NumberInput(attrs={"step": 1}),
    )


class PolicyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in WEIGHT_LABELS:
            self.fields[f"weight_{name}"] = _number(f"weight_{name}")
        # Optional components may be left empty: weighed 0, as before they existed.
        for name in formula.OPTIONAL_COMPONENTS:
            self.fields[f"weight_{name}"].required = False
        self.fields["upload_photos_target"] = _number(
            "upload_photos_target", _("上传这么多张照片，照片部分得满分。")
        )
        self.fields["upload_summary_chars"] = _number(
            "upload_summary_chars", _("活动总结达到这么多字，总结部分得满分。")
        )
        self.fields["upload_photos_share"] = _number(
            "upload_photos_share", _("百分比；其余部分看活动总结。")
        )
        self.fields["note"] = forms.CharField(
            label=_label("note"),
            required=False,
            max_length=300,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("例如：为什么调整。"),
        )

    def weight_fields(self):
        return [self[f"weight_{name}"] for name in WEIGHT_LABELS]

    def rule_fields(self):
        return [self[n] for n in ("upload_photos_target", "upload_summary_chars")] + [
            self["upload_photos_share"],
            self["note"],
        ]

    def weights(self) -> dict[str, int]:
        return {name: self.cleaned_data[f"weight_{name}"] or 0 for name in WEIGHT_LABELS}

    def add_policy_error(self, exc: DomainError) -> None:
        problems = exc.details.get("problems") or []
        if not problems:
            self.add_error(None, exc.message)
            return
        for problem in problems:
            describe = services.POLICY_PROBLEMS.get(problem)
            self.add_error(PROBLEM_FIELDS.get(problem), describe() if describe else exc.message)


def _initial(current: policies.PolicyVersion) -> dict:
    return {
        **{f"weight_{name}": w for name, w in current.weights.items()},
        f"weight_{formula.STUDY}": current.study_weight,
        "upload_photos_target": current.upload_photos_target,
        "upload_summary_chars": current.upload_summary_chars,
        "upload_photos_share": current.upload_photos_share,
    }


@require_http_methods(["GET", "POST"])
@admin_view
def policy(request):
    actor = request.user
    if request.method == "POST":
        # Refused before reading the form: the same answer as for any page not theirs.
        permissions.require_root_admin(actor)
    versions = policies.policy_versions()
    current = policies.current_version(versions)
    can_publish = bool(permissions.root_orgs(actor))
    form = PolicyForm(posted(request), initial=_initial(current)) if can_publish else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            created = services.set_policy(
                actor=actor,
                weights=form.weights(),
                upload_photos_target=form.cleaned_data["upload_photos_target"],
                upload_summary_chars=form.cleaned_data["upload_summary_chars"],
                upload_photos_share=form.cleaned_data["upload_photos_share"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            form.add_policy_error(exc)
        else:
            messages.success(
                request,
                _("已发布评分规则第 %(v)d 版：此后结束的活动按新规则计分，已有得分保留原版本。")
                % {"v": created.version},
            )
            return redirect("console:dashboard_policy")
    return render_page(
        request,
        "console/dashboards/policy.html",
        {
            "versions": versions,
            "current": current,
            "labels": list(WEIGHT_LABELS.values()),
            "form": form,
            "can_publish": can_publish,
        },
    )
