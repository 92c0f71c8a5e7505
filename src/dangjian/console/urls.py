from django.urls import path

from dangjian.console.views import accounts, audit, dashboards, data, members, orgs, scoring, sms
from dangjian.console.views import appraisal as appr
from dangjian.console.views import attendance as att
from dangjian.console.views import awards as aw
from dangjian.console.views import bulletins as bul
from dangjian.console.views import campaign_edit as ce
from dangjian.console.views import exports as ex
from dangjian.console.views import home as hm
from dangjian.console.views import interaction as records
from dangjian.console.views import jobs as jb
from dangjian.console.views import learning as lrn
from dangjian.console.views import learning_bank as bank
from dangjian.console.views import learning_packages as lp
from dangjian.console.views import learning_quizzes as lq
from dangjian.console.views import ledgers as ldg
from dangjian.console.views import orglife as life
from dangjian.console.views import record_reviews as rr
from dangjian.console.views import supervision as sup
from dangjian.console.views import supervision_monthly as monthly
from dangjian.console.views import themedays as td
from dangjian.console.views import volunteering_hours as vh
from dangjian.console.views import volunteering_orders as vo
from dangjian.console.views import volunteering_people as vp
from dangjian.console.views import volunteering_stats as vs
from dangjian.core import converters  # noqa: F401 - registers <decision:…>

app_name = "console"
urlpatterns = [
    path("", orgs.index, name="index"),
    path("home/", hm.home, name="home"),
    path("orgs/search/", orgs.org_search, name="org_search"),
    path("orgs/<int:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/children/", orgs.org_children, name="org_children"),
    path("orgs/<int:parent_id>/new/", orgs.org_create, name="org_create"),
    path("orgs/<int:org_id>/edit/", orgs.org_edit, name="org_edit"),
    path("orgs/<int:org_id>/admins/", orgs.org_admins, name="org_admins"),
    path("orgs/<int:org_id>/activation-invitations/", orgs.org_invite, name="org_invite"),
    path("orgs/<int:org_id>/members/", members.member_list, name="member_list"),
    path("orgs/<int:branch_id>/members/new/", members.member_create, name="member_create"),
    path("orgs/<int:org_id>/members/export.xlsx", data.member_export, name="member_export"),
    path("orgs/<int:org_id>/import/", data.import_view, name="import"),
    path("import/template/<str:kind>.<str:fmt>", data.import_template, name="import_template"),
    path("jobs/<int:job_id>/errors.xlsx", data.import_errors, name="import_errors"),
    path("members/<int:member_id>/", members.member_detail, name="member_detail"),
    path("members/<int:member_id>/id-number/", members.member_reveal_id, name="member_reveal_id"),
    path("members/<int:member_id>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:member_id>/transfer/", members.member_transfer, name="member_transfer"),
    path("members/<int:member_id>/leave/", members.member_leave, name="member_leave"),
    path("members/<int:member_id>/password/", members.member_password, name="member_password"),
    path(
        "members/<int:member_id>/sign-out-everywhere/",
        accounts.member_sign_out,
        name="member_sign_out",
    ),
    path(
        "members/<int:member_id>/wechat-unbind/",
        accounts.member_wechat_unbind,
        name="member_wechat_unbind",
    ),
    path("account/password/", accounts.own_password, name="own_password"),
    path("accounts/<int:user_id>/password/", accounts.admin_password, name="admin_password"),
    path("audit/", audit.audit_log, name="audit"),
    path("sms-outbox/", sms.sms_outbox, name="sms_outbox"),
    path("jobs/", jb.job_list, name="job_list"),
    path("jobs/<int:job_id>/", jb.job_detail, name="job_detail"),
    # Exports made as jobs, the file downloaded from its job (notifications.export_files)
    path("jobs/<int:job_id>/file/", ex.job_file, name="job_file"),
    path("orgs/<int:org_id>/members/export-job/", ex.member_export_job, name="member_export_job"),
    path(
        "learning/quizzes/<int:quiz_id>/results/export-job/",
        ex.quiz_results_export_job,
        name="quiz_results_export_job",
    ),
    path(
        "supervision/appraisals/<int:appraisal_id>/export-job/",
        ex.appraisal_export_job,
        name="appraisal_export_job",
    ),
    # Attendance (docs/product.md, "Checking in and out")
    path("activities/<int:activity_id>/attendance/", att.attendance, name="attendance"),
    path(
        "activities/<int:activity_id>/attendance/live/",
        att.attendance_live,
        name="attendance_live",
    ),
    path(
        "activities/<int:activity_id>/attendance/poster.<str:fmt>",
        att.poster,
        name="attendance_poster",
    ),
    path(
        "activities/<int:activity_id>/attendance/token/",
        att.regenerate_token,
        name="attendance_token",
    ),
    path(
        "activities/<int:activity_id>/attendance/rotating/",
        att.rotating,
        name="attendance_rotating",
    ),
    path("activities/<int:activity_id>/attendance/screen/", att.screen, name="attendance_screen"),
    path(
        "activities/<int:activity_id>/attendance/screen/code/",
        att.screen_code,
        name="attendance_screen_code",
    ),
    path(
        "activities/<int:activity_id>/attendance/refusals/",
        att.refusals,
        name="attendance_refusals",
    ),
    path(
        "activities/<int:activity_id>/attendance/corrections/",
        att.correction_propose,
        name="attendance_correction_new",
    ),
    path(
        "attendance/leaves/<int:leave_id>/<decision:decision>/",
        att.leave_decide,
        name="attendance_leave",
    ),
    path(
        "attendance/corrections/<int:correction_id>/<decision:decision>/",
        att.correction_decide,
        name="attendance_correction",
    ),
    path("attendance/", att.inbox, name="attendance_inbox"),
    path("records/", records.record_list, name="record_list"),
    path("records/<int:activity_id>/", records.activity_record, name="activity_record"),
    path("records/<int:activity_id>/photos/", records.record_photos, name="record_photos"),
    path(
        "records/photos/<int:photo_id>/remove/",
        records.record_photo_remove,
        name="record_photo_remove",
    ),
    path("records/<int:activity_id>/summary/", records.record_summary, name="record_summary"),
    path("records/<int:activity_id>/rating/", records.record_rate, name="record_rate"),
    # Organization life: required items and the dues register (issue 21)
    path("records/<int:activity_id>/items/", life.activity_items, name="activity_items"),
    path(
        "records/<int:activity_id>/items/<str:item>/",
        life.activity_item_save,
        name="activity_item_save",
    ),
    path("orgs/<int:branch_id>/dues/", life.dues_register, name="dues_register"),
    path("orgs/<int:branch_id>/dues/export.xlsx", life.dues_export, name="dues_export"),
    path("orgs/<int:branch_id>/dues/record/", life.dues_record, name="dues_record"),
    path("orgs/<int:branch_id>/dues/base/", life.dues_base, name="dues_base"),
    path("dues/<int:record_id>/cancel/", life.dues_cancel, name="dues_cancel"),
    path("comments/<int:comment_id>/hide/", records.comment_hide, name="comment_hide"),
    # Dashboards (scoring)
    path("dashboards/", dashboards.home, name="dashboard_home"),
    path("dashboards/policy/", scoring.policy, name="dashboard_policy"),
    path("dashboards/orgs/<int:org_id>/", dashboards.dashboard, name="dashboard"),
    path("dashboards/orgs/<int:org_id>/ranking/", dashboards.ranking, name="dashboard_ranking"),
    path(
        "dashboards/orgs/<int:org_id>/ranking.xlsx",
        dashboards.ranking_export,
        name="dashboard_ranking_export",
    ),
    path(
        "dashboards/activities/<int:activity_id>/",
        dashboards.activity,
        name="dashboard_activity",
    ),
    # Supervision: spot checks and rectifications
    path("supervision/orgs/<int:org_id>/", sup.org_supervision, name="org_supervision"),
    path("supervision/spot-checks/<int:spot_check_id>/", sup.spot_check, name="spot_check"),
    path(
        "supervision/spot-checks/<int:spot_check_id>/items/<int:item_id>/finding/",
        sup.record_finding,
        name="spot_check_finding",
    ),
    path(
        "supervision/spot-checks/<int:spot_check_id>/items/<int:item_id>/rectify/",
        sup.open_rectification,
        name="spot_check_rectify",
    ),
    path(
        "supervision/rectifications/<int:rectification_id>/",
        sup.rectification,
        name="rectification",
    ),
    path(
        "supervision/attachments/<int:attachment_id>/",
        sup.rectification_attachment,
        name="rectification_attachment",
    ),
    # Record review (退回补充)
    path("supervision/records/", rr.record_review_queue, name="record_review_queue"),
    path("supervision/records/<int:activity_id>/", rr.record_review, name="record_review"),
    # Monthly supervision (一月一督查)
    path("supervision/monthly/", monthly.monthly_sheets, name="monthly_sheets"),
    path("supervision/monthly/run/", monthly.monthly_run, name="monthly_run"),
    path(
        "supervision/monthly/<int:sheet_id>/sheet.xlsx",
        monthly.monthly_sheet_file,
        {"kind": "xlsx"},
        name="monthly_sheet_xlsx",
    ),
    path(
        "supervision/monthly/<int:sheet_id>/sheet.pdf",
        monthly.monthly_sheet_file,
        {"kind": "pdf"},
        name="monthly_sheet_pdf",
    ),
    # The quarterly bulletin (一季一通报)
    path("supervision/bulletins/", bul.bulletin_list, name="bulletin_list"),
    path("supervision/bulletins/<int:bulletin_id>/", bul.bulletin_detail, name="bulletin_detail"),
    path(
        "supervision/bulletins/<int:bulletin_id>/<str:step>/",
        bul.bulletin_step,
        name="bulletin_step",
    ),
    path(
        "supervision/bulletins/<int:bulletin_id>/files/<str:kind>/",
        bul.bulletin_file,
        name="bulletin_file",
    ),
    # Theme days (docs/product.md, "Monthly theme days")
    path("orgs/<int:org_id>/campaigns/", td.campaign_list, name="campaign_list"),
    path("orgs/<int:org_id>/campaigns/new/", td.campaign_create, name="campaign_create"),
    path("orgs/<int:org_id>/birthdays/", td.birthdays, name="birthdays"),
    path("campaigns/<int:campaign_id>/", td.campaign_detail, name="campaign_detail"),
    path(
        "campaigns/<int:campaign_id>/distribution/",
        td.campaign_distribution,
        name="campaign_distribution",
    ),
    path("campaigns/<int:campaign_id>/attachments/", td.campaign_attach, name="campaign_attach"),
    path("campaigns/<int:campaign_id>/edit/", ce.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/delete/", ce.campaign_delete, name="campaign_delete"),
    path(
        "campaigns/<int:campaign_id>/attachments/<int:attachment_id>/remove/",
        ce.campaign_detach,
        name="campaign_detach",
    ),
    path(
        "campaigns/<int:campaign_id>/attachments/<int:attachment_id>/",
        td.campaign_attachment,
        name="campaign_attachment",
    ),
    path(
        "campaigns/<int:campaign_id>/distribute/",
        td.campaign_distribute,
        name="campaign_distribute",
    ),
    path(
        "campaigns/<int:campaign_id>/supplement/",
        td.supplement_create,
        name="supplement_create",
    ),
    path("campaigns/<int:campaign_id>/progress/", td.campaign_progress, name="campaign_progress"),
    path("reviews/", td.review_queue, name="review_queue"),
    path("activities/<int:activity_id>/", td.activity_detail, name="activity_detail"),
    path("activities/<int:activity_id>/approve/", td.activity_approve, name="activity_approve"),
    path("activities/<int:activity_id>/reject/", td.activity_reject, name="activity_reject"),
    path("activities/<int:activity_id>/cancel/", td.activity_cancel, name="activity_cancel"),
    # Learning (docs/product.md, "Learning")
    path("learning/articles/", lrn.article_list, name="article_list"),
    path("orgs/<int:org_id>/articles/new/", lrn.article_create, name="article_create"),
    path("learning/articles/<int:article_id>/", lrn.article_detail, name="article_detail"),
    path("learning/articles/<int:article_id>/edit/", lrn.article_edit, name="article_edit"),
    path(
        "learning/articles/<int:article_id>/<str:step>/",
        lrn.article_transition,
        name="article_transition",
    ),
    path(
        "learning/attachments/<int:attachment_id>/",
        lrn.article_attachment,
        name="article_attachment",
    ),
    # Quizzes: the question bank, quizzes and their results (issue 19)
    path("learning/questions/", bank.question_list, name="question_list"),
    path("learning/questions/template/", bank.question_template, name="question_template"),
    path("learning/questions/<int:question_id>/", bank.question_edit, name="question_edit"),
    path(
        "learning/categories/<int:category_id>/questions/new/",
        bank.question_create,
        name="question_create",
    ),
    path(
        "orgs/<int:org_id>/question-categories/new/", bank.category_create, name="category_create"
    ),
    path("orgs/<int:org_id>/questions/import/", bank.question_import, name="question_import"),
    path("orgs/<int:org_id>/questions/export/", bank.question_export, name="question_export"),
    # The monthly study package (issue 19, point 3)
    path("learning/packages/", lp.package_list, name="package_list"),
    path("orgs/<int:org_id>/packages/new/", lp.package_create, name="package_create"),
    path("learning/packages/<int:package_id>/", lp.package_detail, name="package_detail"),
    path("learning/packages/<int:package_id>/<str:step>/", lp.package_step, name="package_step"),
    path("learning/quizzes/", lq.quiz_list, name="quiz_list"),
    path("orgs/<int:org_id>/quizzes/new/", lq.quiz_create, name="quiz_create"),
    path("learning/quizzes/<int:quiz_id>/", lq.quiz_detail, name="quiz_detail"),
    path("learning/quizzes/<int:quiz_id>/edit/", lq.quiz_edit, name="quiz_edit"),
    path("learning/quizzes/<int:quiz_id>/publish/", lq.quiz_publish, name="quiz_publish"),
    path("learning/quizzes/<int:quiz_id>/results/", lq.quiz_results_page, name="quiz_results"),
    path(
        "learning/quizzes/<int:quiz_id>/results/export/",
        lq.quiz_results_export,
        name="quiz_results_export",
    ),
    path("members/<int:member_id>/quizzes/", lq.member_quizzes, name="member_quizzes"),
    # The volunteer cloud call (issue 20)
    path("orgs/<int:org_id>/volunteering/stats/", vs.volunteer_stats, name="volunteer_stats"),
    path("volunteering/menu/", vp.menu_list, name="volunteer_menu"),
    path("volunteering/menu/new/", vp.menu_create, name="volunteer_menu_create"),
    path("volunteering/menu/<int:entry_id>/", vp.menu_edit, name="volunteer_menu_edit"),
    path("volunteering/profiles/", vp.profile_list, name="volunteer_profiles"),
    path("volunteering/citizens/new/", vp.citizen_register, name="volunteer_citizen_register"),
    path("volunteering/hours/", vh.hours_index, name="volunteer_hours"),
    path(
        "volunteering/hours/members/<int:member_id>/",
        vh.member_hours,
        name="volunteer_member_hours",
    ),
    path(
        "volunteering/hours/members/<int:member_id>/certificate/<int:org_id>/",
        vh.certificate,
        name="volunteer_certificate",
    ),
    path(
        "volunteering/hours/entries/<int:entry_id>/reverse/",
        vh.reverse_entry,
        name="volunteer_reverse_hours",
    ),
    path(
        "volunteering/hours/claims/<int:claim_id>/record/",
        vh.record_times,
        name="volunteer_record_times",
    ),
    path(
        "volunteering/hours/claims/<int:claim_id>/remove/",
        vh.remove_claim,
        name="volunteer_remove_claim",
    ),
    path(
        "volunteering/hours/claims/<int:claim_id>/approve/",
        vh.approve_makeup,
        name="volunteer_approve_makeup",
    ),
    path("volunteering/orders/", vo.order_queue, name="volunteer_orders"),
    path("volunteering/orders/<int:order_id>/", vo.order_detail, name="volunteer_order"),
    path(
        "volunteering/orders/<int:order_id>/publish/",
        vo.order_publish,
        name="volunteer_order_publish",
    ),
    path(
        "volunteering/orders/<int:order_id>/decline/",
        vo.order_decline,
        name="volunteer_order_decline",
    ),
    path(
        "volunteering/orders/<int:order_id>/cancel/",
        vo.order_cancel,
        name="volunteer_order_cancel",
    ),
    # The annual appraisal (一年一考核)
    path("supervision/appraisals/", appr.appraisals, name="appraisals"),
    path("supervision/appraisals/rule/", appr.appraisal_rule, name="appraisal_rule"),
    path("supervision/appraisals/<int:appraisal_id>/", appr.appraisal, name="appraisal"),
    path(
        "supervision/appraisals/<int:appraisal_id>/confirm/",
        appr.appraisal_confirm,
        name="appraisal_confirm",
    ),
    path(
        "supervision/appraisals/<int:appraisal_id>/counties/<int:county_id>/",
        appr.appraisal_county,
        name="appraisal_county",
    ),
    path(
        "supervision/appraisal-entries/<int:entry_id>/grade/",
        appr.appraisal_entry_grade,
        name="appraisal_entry_grade",
    ),
    path(
        "supervision/appraisals/<int:appraisal_id>/export.xlsx",
        appr.appraisal_export,
        name="appraisal_export",
    ),
    # The branch ledger (台账) and the historical theme-day import
    path("orgs/<int:org_id>/history-import/", ldg.history_import, name="history_import"),
    path("history-import/template.<str:fmt>", ldg.history_template, name="history_template"),
    path("orgs/<int:branch_id>/ledgers/", ldg.ledger_list, name="ledger_list"),
    path("ledgers/<int:ledger_id>/download/", ldg.ledger_download, name="ledger_download"),
    # Quarterly awards (季度评选)
    path("supervision/awards/", aw.award_rounds, name="award_rounds"),
    path("supervision/awards/<int:round_id>/", aw.award_round, name="award_round"),
    path("supervision/awards/<int:round_id>/step/", aw.award_round_step, name="award_round_step"),
    path("supervision/awards/<int:round_id>/nominate/", aw.award_nominate, name="award_nominate"),
    path("supervision/awards/<int:round_id>/cases/new/", aw.award_case_new, name="award_case_new"),
    path("supervision/award-cases/<int:case_id>/", aw.award_case, name="award_case"),
    path(
        "supervision/award-case-photos/<int:photo_id>/",
        aw.award_case_photo,
        name="award_case_photo",
    ),
    path(
        "supervision/award-nominations/<int:nomination_id>/step/",
        aw.award_nomination_step,
        name="award_nomination_step",
    ),
    path(
        "supervision/award-nominations/<int:nomination_id>/certificate.pdf",
        aw.award_certificate,
        name="award_certificate",
    ),
]
