"""The member's phone pages. They show the signed-in user's own record only
(`permissions.own_member`), never anyone else's."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.forms import OwnPasswordForm
from dangjian.mobile import themedays, wechat
from dangjian.mobile.decorators import member_view
from dangjian.registry import services
from dangjian.supervision import review_selectors


@require_GET
@member_view
def home(request, member):
    is_admin = permissions.is_admin(request.user)
    return render(
        request,
        "mobile/home.html",
        {
            "member": member,
            "is_admin": is_admin,
            # Records a superior sent back to a branch the user runs (退回补充).
            "sent_back": review_selectors.sent_back_records(request.user).count()
            if is_admin
            else 0,
            # This month's theme day and the inbox.
            **themedays.home_context(request.user, member),
        },
    )


@require_http_methods(["GET", "POST"])
@member_view
def profile(request, member):
    form = OwnPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            # Keep this phone signed in; other sessions end with the old password.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("mobile:profile")
    today = clock.today()
    join = member.join_date
    party_years = today.year - join.year - ((today.month, today.day) < (join.month, join.day))
    return render(
        request,
        "mobile/profile.html",
        {
            "member": member,
            "form": form,
            "party_years": party_years,
            **wechat.profile_context(request),
        },
    )
