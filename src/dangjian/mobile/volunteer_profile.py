"""The member's volunteer profile on the phone (/m/volunteer/profile/): skills, when they
can serve, and the residential community they report to (双报到), found by name."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from dangjian import permissions
from dangjian.core.errors import DomainError
from dangjian.mobile.decorators import member_view
from dangjian.volunteering import people_selectors, services


class ProfileForm(forms.Form):
    skills = forms.CharField(
        label=gettext_lazy("特长技能"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("多项用顿号或逗号分隔，如：理发、家电维修"),
    )
    availability = forms.CharField(label=gettext_lazy("可服务时间"), required=False, max_length=200)
    community = forms.TypedChoiceField(
        label=gettext_lazy("报到社区（村）"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, query: str = "", current=None, **kwargs):
        super().__init__(*args, **kwargs)
        found = list(people_selectors.communities(query)[: people_selectors.CHOICES_LIMIT])
        if current is not None and current not in found:
            found.insert(0, current)
        self.fields["community"].choices = [("", _("暂不报到"))] + [
            (org.pk, org.name) for org in found
        ]


@require_http_methods(["GET", "POST"])
@member_view
def volunteer_profile(request, member):
    profile = permissions.access_volunteer_profile(request.user, member.pk)
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()
    current = profile.community if profile.community_id else None
    initial = {
        "skills": "、".join(profile.skills),
        "availability": profile.availability,
        "community": profile.community_id,
    }
    searching = request.method == "POST" and "search" in request.POST
    if request.method == "POST" and not searching:
        form = ProfileForm(request.POST, query=query, current=current)
    else:
        data = {**initial, **request.POST.dict()} if searching else initial
        form = ProfileForm(initial=data, query=query, current=current)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_volunteer_profile(
                actor=request.user,
                member=member,
                skills=data["skills"],
                availability=data["availability"],
                community_id=data["community"],
            )
        except DomainError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("志愿服务资料已保存。"))
            return redirect("mobile:volunteer_profile")
    return render(
        request,
        "mobile/volunteer_profile.html",
        {"member": member, "profile": profile, "form": form, "q": query},
        status=422 if form.is_bound and form.errors else 200,
    )
