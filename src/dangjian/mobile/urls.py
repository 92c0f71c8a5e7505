from django.urls import path

from dangjian.core import converters  # noqa: F401 - registers <decision:…>
from dangjian.mobile import (
    activation,
    awards,
    bulletins,
    checkin,
    feed,
    learning,
    ledgers,
    month,
    month_attendance,
    month_record,
    orglife,
    participation,
    quizzes,
    records,
    views,
    volunteer_profile,
    volunteering,
    wechat,
)
from dangjian.mobile import themedays as td

app_name = "mobile"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    # The branch secretary's month (issue 22)
    path("month/", month.month, name="month"),
    path("month/<int:activity_id>/poster/", month.poster, name="month_poster"),
    path("month/<int:activity_id>/poster.<str:fmt>", month.poster_file, name="month_poster_file"),
    path(
        "month/<int:activity_id>/attendance/",
        month_attendance.attendance,
        name="month_attendance",
    ),
    path(
        "month/<int:activity_id>/attendance/live/",
        month_attendance.attendance_live,
        name="month_attendance_live",
    ),
    path(
        "month/leaves/<int:leave_id>/<decision:decision>/",
        month_attendance.leave_decide,
        name="month_leave_decide",
    ),
    path("month/<int:activity_id>/rotating/", month_attendance.rotating, name="month_rotating"),
    path("month/<int:activity_id>/screen/", month_attendance.screen, name="month_screen"),
    path(
        "month/<int:activity_id>/screen/code/",
        month_attendance.screen_code,
        name="month_screen_code",
    ),
    path("month/<int:activity_id>/record/", month_record.record, name="month_record"),
    path(
        "month/<int:activity_id>/record/photos/",
        month_record.record_photos,
        name="month_record_photos",
    ),
    path(
        "month/<int:activity_id>/record/summary/",
        month_record.record_summary,
        name="month_record_summary",
    ),
    path(
        "month/rectifications/<int:rectification_id>/",
        month_record.rectification,
        name="month_rectification",
    ),
    path(
        "month/rectification-files/<int:attachment_id>/",
        month_record.rectification_attachment,
        name="month_rectification_attachment",
    ),
    path(
        "volunteer/profile/",
        volunteer_profile.volunteer_profile,
        name="volunteer_profile",
    ),
    # Volunteer service: orders that reach me, my claims, signing at the place, completion
    path("volunteer/", volunteering.orders, name="volunteer_orders"),
    path("volunteer/claims/", volunteering.my_claims, name="volunteer_claims"),
    path("volunteer/orders/<int:order_id>/", volunteering.order_detail, name="volunteer_order"),
    path("volunteer/orders/<int:order_id>/claim/", volunteering.claim, name="volunteer_claim"),
    path(
        "volunteer/orders/<int:order_id>/complete/",
        volunteering.complete,
        name="volunteer_complete",
    ),
    path(
        "volunteer/orders/<int:order_id>/confirm/",
        volunteering.confirm,
        name="volunteer_confirm",
    ),
    path(
        "volunteer/claims/<int:claim_id>/release/",
        volunteering.release,
        name="volunteer_release",
    ),
    path("volunteer/claims/<int:claim_id>/sign/", volunteering.sign, name="volunteer_sign"),
    # Getting in by SMS code (no sign-in needed)
    path("activate/", activation.activate, name="activate"),
    path("reset-password/", activation.reset_password, name="reset_password"),
    # Signing in inside WeChat (web authorization), binding and unbinding
    path("wechat/", wechat.signin, name="wechat_signin"),
    path("wechat/callback/", wechat.callback, name="wechat_callback"),
    path("wechat/bind/", wechat.bind, name="wechat_bind"),
    path("wechat/unbind/", wechat.unbind, name="wechat_unbind"),
    # The quarterly bulletin its notice links to, and its PDF
    path("bulletins/<int:bulletin_id>/", bulletins.bulletin, name="bulletin"),
    path("bulletins/<int:bulletin_id>/bulletin.pdf", bulletins.bulletin_pdf, name="bulletin_pdf"),
    path("checkin/<str:token>/", checkin.checkin, name="checkin"),
    path("activities/<int:activity_id>/leave/", checkin.leave, name="leave"),
    # The published quarterly awards and their certificates
    path("awards/", awards.awards, name="awards"),
    path(
        "awards/certificates/<int:nomination_id>.pdf",
        awards.award_certificate,
        name="award_certificate",
    ),
    path("feed/", feed.feed, name="feed"),
    path("feed/<int:activity_id>/", feed.feed_activity, name="feed_activity"),
    path("feed/<int:activity_id>/like/", feed.like_activity, name="feed_like"),
    path("feed/<int:activity_id>/comments/", feed.post_comment, name="feed_comment"),
    path("comments/<int:comment_id>/like/", feed.like_comment, name="comment_like"),
    # The member's own participation: their history, photos of what they attended
    path("me/participation/", participation.history, name="participation"),
    path("feed/<int:activity_id>/photos/", participation.photo_upload, name="photo_upload"),
    path("photos/<int:photo_id>/remove/", participation.photo_remove, name="photo_remove"),
    # Theme days: the inbox and the branch secretary's plan editor
    path("inbox/", td.inbox, name="inbox"),
    path("inbox/read-all/", td.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:notification_id>/read/", td.notice_read, name="notice_read"),
    path("inbox/<int:notification_id>/open/", td.notice_open, name="notice_open"),
    path(
        "campaigns/<int:campaign_id>/attachments/<int:attachment_id>/",
        td.campaign_attachment,
        name="campaign_attachment",
    ),
    path("plans/", td.plans, name="plans"),
    path(
        "branches/<int:branch_id>/campaigns/<int:campaign_id>/plan/",
        td.plan_start,
        name="plan_start",
    ),
    path("plans/<int:activity_id>/", td.plan_edit, name="plan_edit"),
    path("plans/<int:activity_id>/late/", td.plan_late, name="plan_late"),
    # The branch ledger (台账)
    path("branches/<int:branch_id>/ledgers/", ledgers.ledger_list, name="ledgers"),
    path("ledgers/<int:ledger_id>/download/", ledgers.ledger_download, name="ledger_download"),
    # Organization life: an activity's required items, the month's dues (issue 21)
    path("activities/<int:activity_id>/items/", orglife.activity_items, name="activity_items"),
    path("branches/<int:branch_id>/dues/", orglife.dues_month, name="dues_month"),
    path("dues/", orglife.my_dues, name="my_dues"),
    # Record review: the records sent back to the branch, supplemented and resubmitted
    path("records/", records.record_list, name="records"),
    path("records/<int:review_id>/", records.record_detail, name="record"),
    # Learning: articles per column, reading on the server's clock
    path("learning/", learning.article_list, name="learning"),
    path("learning/articles/<int:article_id>/", learning.article_detail, name="learning_article"),
    path(
        "learning/attachments/<int:attachment_id>/",
        learning.attachment,
        name="learning_attachment",
    ),
    # Quizzes: the member's list, a quiz's terms, the attempt on the server's clock
    path("quizzes/", quizzes.quiz_list, name="quizzes"),
    path("quizzes/<int:quiz_id>/", quizzes.quiz_detail, name="quiz"),
    path("quizzes/<int:quiz_id>/start/", quizzes.quiz_start, name="quiz_start"),
    path("attempts/<int:attempt_id>/", quizzes.attempt_page, name="attempt"),
    path(
        "attempts/<int:attempt_id>/answers/<int:question_id>/",
        quizzes.save_answer,
        name="attempt_answer",
    ),
    path("attempts/<int:attempt_id>/submit/", quizzes.submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/result/", quizzes.attempt_result, name="attempt_result"),
]
