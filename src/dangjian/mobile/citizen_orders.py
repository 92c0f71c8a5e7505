"""A citizen's orders on the phone (/c/orders/): ordering a service from the community's
menu (with photos, and the phone's position if they allow it), their orders with where
each stands, one order with its history, the reason it was declined, and cancelling it
before its service starts."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.core import coords
from dangjian.core.errors import DomainError
from dangjian.mobile.citizens import citizen_view
from dangjian.volunteering import orders as services
from dangjian.volunteering import people_selectors, selectors

PAGE_SIZE = 30
WINDOW_FORMAT = "%Y-%m-%dT%H:%M"


class OrderForm(forms.Form):
    category = forms.TypedChoiceField(
        label=_lazy("服务类别"), coerce=int, error_messages={"required": _lazy("请选择服务类别")}
    )
    description = forms.CharField(
        label=_lazy("需求描述"),
        max_length=services.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _lazy("请描述您的需求")},
    )
    address = forms.CharField(
        label=_lazy("服务地点"), max_length=services.ADDRESS_MAX_CHARS, required=False
    )
    wanted_from = forms.DateTimeField(
        label=_lazy("期望开始"),
        input_formats=[WINDOW_FORMAT],
        error_messages={"required": _lazy("请选择期望开始时间"), "invalid": _lazy("时间格式有误")},
    )
    wanted_until = forms.DateTimeField(
        label=_lazy("期望结束"),
        input_formats=[WINDOW_FORMAT],
        error_messages={"required": _lazy("请选择期望结束时间"), "invalid": _lazy("时间格式有误")},
    )
    # Filled by the page's script from the browser's geolocation (WGS-84), if allowed.
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    coord_system = forms.ChoiceField(
        required=False, choices=[(s, s) for s in coords.SYSTEMS], widget=forms.HiddenInput
    )

    def __init__(self, *args, menu, **kwargs):
        super().__init__(*args, **kwargs)
        self.menu = {entry.pk: entry for entry in menu}
        self.fields["category"].choices = [("", _("请选择"))] + [
            (entry.pk, entry.name) for entry in menu
        ]


@require_GET
@citizen_view
def order_list(request: HttpRequest, citizen) -> HttpResponse:
    page = Paginator(selectors.my_orders(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "mobile/citizens/orders_list.html", {"citizen": citizen, "page": page})


@require_http_methods(["GET", "POST"])
@citizen_view
def order_new(request: HttpRequest, citizen) -> HttpResponse:
    menu = list(people_selectors.menu_for(citizen.community).select_related("org"))
    form = OrderForm(
        request.POST if request.method == "POST" else None,
        menu=menu,
        initial={"address": citizen.address},
    )
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.submit_order(
                actor=request.user,
                category=form.menu[data["category"]],
                description=data["description"],
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                coord_system=data["coord_system"] or coords.WGS84,
                wanted_from=data["wanted_from"],
                wanted_until=data["wanted_until"],
                photos=request.FILES.getlist("photos"),
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("需求已提交，社区审核后将为您发布。"))
            return redirect("citizens:citizen_order_detail", order_id=order.pk)
    return render(
        request,
        "mobile/citizens/orders_new.html",
        {
            "citizen": citizen,
            "form": form,
            "menu": menu,
            "error": error,
            "max_photos": services.MAX_PHOTOS,
        },
    )


@require_GET
@citizen_view
def order_detail(request: HttpRequest, citizen, order_id: int) -> HttpResponse:
    order = permissions.access_order(request.user, order_id)
    return render(
        request,
        "mobile/citizens/orders_detail.html",
        {
            "citizen": citizen,
            "order": order,
            "detail": selectors.detail(request.user, order),
        },
    )


@require_POST
@citizen_view
def order_cancel(request: HttpRequest, citizen, order_id: int) -> HttpResponse:
    order = permissions.access_order(request.user, order_id)
    try:
        services.cancel_order(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("需求已取消。"))
    return redirect("citizens:citizen_order_detail", order_id=order.pk)
