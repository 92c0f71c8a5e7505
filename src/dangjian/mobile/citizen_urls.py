"""The citizens' pages (/c/): signing in, their home; their orders are added here too
(names `citizen_orders`, `citizen_order_new`, `citizen_order`)."""

from django.urls import path

from dangjian.mobile import citizen_orders, citizens

app_name = "citizens"
urlpatterns = [
    path("", citizens.home, name="home"),
    path("sign-in/", citizens.sign_in, name="sign_in"),
    path("sign-out/", citizens.sign_out, name="sign_out"),
    path("orders/", citizen_orders.order_list, name="citizen_orders"),
    path("orders/new/", citizen_orders.order_new, name="citizen_order_new"),
    path("orders/<int:order_id>/", citizen_orders.order_detail, name="citizen_order_detail"),
    path("orders/<int:order_id>/cancel/", citizen_orders.order_cancel, name="citizen_order_cancel"),
]
