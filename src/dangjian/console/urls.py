from django.urls import path

from dangjian.console.views import audit, data, members, orgs

app_name = "console"
urlpatterns = [
    path("", orgs.index, name="index"),
    path("orgs/search/", orgs.org_search, name="org_search"),
    path("orgs/<int:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/children/", orgs.org_children, name="org_children"),
    path("orgs/<int:parent_id>/new/", orgs.org_create, name="org_create"),
    path("orgs/<int:org_id>/edit/", orgs.org_edit, name="org_edit"),
    path("orgs/<int:org_id>/admins/", orgs.org_admins, name="org_admins"),
    path("orgs/<int:org_id>/members/", members.member_list, name="member_list"),
    path("orgs/<int:branch_id>/members/new/", members.member_create, name="member_create"),
    path("orgs/<int:org_id>/members/export.xlsx", data.member_export, name="member_export"),
    path("orgs/<int:org_id>/import/", data.import_view, name="import"),
    path("import/template/<str:kind>.<str:fmt>", data.import_template, name="import_template"),
    path("members/<int:member_id>/", members.member_detail, name="member_detail"),
    path("members/<int:member_id>/id-number/", members.member_reveal_id, name="member_reveal_id"),
    path("members/<int:member_id>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:member_id>/transfer/", members.member_transfer, name="member_transfer"),
    path("members/<int:member_id>/leave/", members.member_leave, name="member_leave"),
    path("members/<int:member_id>/password/", members.member_password, name="member_password"),
    path("audit/", audit.audit_log, name="audit"),
]
