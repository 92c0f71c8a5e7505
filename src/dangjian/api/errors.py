"""HTTP statuses for the stable error codes that services raise. The codes are the
contract; statuses are how this interface says them."""

STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "not_found": 404,
    "duplicate_phone": 409,
    "duplicate_id_number": 409,
    "duplicate_code": 409,
    "same_branch": 409,
    "member_left": 409,
    "too_many_attempts": 429,
    "file_too_large": 413,
    "import_conflict": 409,
    "start_passed": 409,
    "plan_exists": 409,
    "invalid_status": 409,
    "not_editable": 409,
    "not_late": 409,
    "supplement_not_distributable": 409,
}
DEFAULT_STATUS = 422


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)
