"""HTTP statuses for the stable error codes that services raise. The codes are the
contract; statuses are how this interface says them."""

STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "not_found": 404,
    "duplicate_phone": 409,
    "phone_in_use": 409,
    "duplicate_id_number": 409,
    "duplicate_code": 409,
    "same_branch": 409,
    "member_left": 409,
    "too_many_attempts": 429,
    "too_many_requests": 429,
    "already_invited": 429,
    "already_active": 409,
    "not_bound": 409,
    "wechat_bound_elsewhere": 409,
    "file_too_large": 413,
    "import_conflict": 409,
    "start_passed": 409,
    "plan_exists": 409,
    "invalid_status": 409,
    "not_editable": 409,
    "not_late": 409,
    "supplement_not_distributable": 409,
    "campaign_already_distributed": 409,
    "campaign_in_use": 409,
    "campaign_has_supplements": 409,
    # Activity record and interaction
    "not_started": 409,
    "record_closed": 409,
    "not_held": 409,
    "higher_rating_exists": 409,
    "already_hidden": 409,
    # Attendance: refusals of a check-in or check-out (docs/product.md, "Checking in and out")
    # and leave/corrections.
    "invalid_token": 404,
    "not_approved": 409,
    "cancelled": 409,
    "not_on_roster": 403,
    "too_early": 409,
    "too_late": 409,
    "not_checked_in": 409,
    "leave_exists": 409,
    "correction_exists": 409,
    "self_approval": 403,
    # Scoring and supervision
    "empty_scope": 409,
    # The quarterly bulletin
    "draft_exists": 409,
    "file_changed": 409,
    "font_missing": 503,
    # The branch ledger
    "not_ready": 409,
    "conflict": 409,
    # Quarterly awards
    "round_exists": 409,
    "already_nominated": 409,
    "not_candidate": 409,
    "not_selected": 409,
    "quota_exceeded": 409,
    # Annual appraisal
    "appraisal_exists": 409,
    "already_confirmed": 409,
    "quota_not_met": 409,
    "reason_required": 422,
    # Record review
    "not_closed": 409,
    "already_reviewed": 409,
    "already_sent_back": 409,
    "not_sent_back": 409,
    "record_sent_back": 409,
    # Learning
    "author_cannot_publish": 403,
    "not_in_scope": 403,
    "not_published": 409,
    "reading_not_started": 409,
    "reading_too_short": 409,
    "duplicate_name": 409,
    "quiz_not_open": 409,
    "quiz_closed": 409,
    "no_attempts_left": 409,
    "attempt_finished": 409,
    "deadline_passed": 409,
    "stale_answer": 409,
    "package_exists": 409,
    "already_published": 409,
    "quiz_not_published": 409,
    "article_not_published": 409,
    "parent_not_published": 409,
    "package_not_published": 409,
    # Volunteer orders (issue 20)
    "not_a_citizen": 403,
    "not_the_requester": 403,
    "not_submitted": 409,
    "not_cancellable": 409,
    "window_passed": 409,
    # Volunteer claims, service and hours (issue 20)
    "order_full": 409,
    "already_claimed": 409,
    "own_order": 409,
    "not_claimable": 409,
    "rated_already": 409,
    "not_signed_out": 409,
    "no_place": 409,
    "not_makeup": 409,
    "already_approved": 409,
    "already_credited": 409,
    "already_reversed": 409,
    "not_recording_org": 403,
    "no_hours": 409,
    "implausible_duration": 422,
    # Citizens' sign-in (issue 20)
    "registration_required": 409,
    "member_account": 409,
    "account_disabled": 403,
    # Organization life: required items' evidence and dues (issue 21); evidence_required and
    # dues_base_missing are field problems (422).
    "already_paid": 409,
}
DEFAULT_STATUS = 422


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)
