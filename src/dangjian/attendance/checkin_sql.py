"""The check-in's statements (attendance.checkin, docs/performance.md "Checking in"): the
facts of a decision in one query, and the record and its log entry written together.
Literal SQL, because building them with the ORM cost more than running them;
tests/attendance/test_checkin_sql.py checks every table and column named here against the
models."""

# One row whatever matches: the member is known (for the log) even when the token is not.
# The account: the signed-in `user`, or the active holder of the unexpired API key `key`
# (its digest), read here rather than in a statement of its own. Each join and subquery
# reads at most a row through a unique or composite index, so the cost does not grow with
# the roster. tests/attendance/test_checkin_sql.py checks every table and column named here
# against the models, tests/registry/test_api_tokens.py the holder against the API's.
# The record is looked up with its month too ({month}: the activity's, models.record_month,
# written per database), so that on PostgreSQL it is read from one partition.
FACTS_TEMPLATE = """
SELECT COALESCE(%(user)s, u.id), {month},
       a.id, a.branch_id, a.status, a.starts_at, a.ends_at, a.latitude, a.longitude,
       a.radius_m, a.checkin_opens_before_min, a.checkin_closes_after_min,
       a.checkout_closes_after_min, a.roster_frozen_at IS NOT NULL, q.secret,
       m.id, m.branch_id, m.is_active, m.left_at,
       EXISTS (SELECT 1 FROM themedays_rosterentry e
               WHERE e.activity_id = a.id AND e.member_id = m.id),
       (SELECT t.from_branch_id FROM registry_transfer t
        WHERE t.member_id = m.id AND t.transferred_at > a.starts_at
        ORDER BY t.transferred_at, t.id LIMIT 1),
       r.id, r.status, r.is_corrected, r.is_device_shared, r.checked_in_at,
       r.checkin_distance_m, r.checked_out_at, r.checkout_distance_m,
       %(device)s <> '' AND EXISTS (
           SELECT 1 FROM attendance_attendancerecord d
           WHERE d.activity_id = a.id AND d.month = {month} AND d.device_id = %(device)s
             AND d.member_id <> m.id)
FROM (SELECT 1 AS one) AS just_one
LEFT JOIN registry_apitoken k ON k.key_hash = %(key)s AND k.expires_at > %(now)s
LEFT JOIN registry_user u ON u.id = k.user_id AND u.is_active
LEFT JOIN themedays_activity a ON a.checkin_token = %(token)s
LEFT JOIN registry_member m ON m.user_id = COALESCE(%(user)s, u.id)
LEFT JOIN attendance_rotatingqr q ON q.activity_id = a.id AND q.is_enabled
LEFT JOIN attendance_attendancerecord r
       ON r.activity_id = a.id AND r.member_id = m.id AND r.month = {month}
"""
# The UTC month the activity was made in, as a date.
ACTIVITY_MONTH = {
    "postgresql": "CAST(date_trunc('month', a.created_at AT TIME ZONE 'UTC') AS date)",
    "sqlite": "date(a.created_at, 'start of month')",
}
FACTS_SQL = {vendor: FACTS_TEMPLATE.format(month=month) for vendor, month in ACTIVITY_MONTH.items()}


# The statements. Literal SQL like FACTS_SQL, and checked with it: building these INSERTs
# with the ORM cost more than running them.

RECORD_COLUMNS = """activity_id, month, member_id, status, checked_in_at, checkin_distance_m,
    checked_out_at, checkout_distance_m, device_id, is_device_shared, leave_id,
    correction_id, is_corrected, created_at, updated_at"""
RECORD_VALUES = """%(activity)s, %(month)s, %(member)s, 'checked_in', %(at)s, %(distance)s,
    NULL, NULL, %(device)s, %(shared)s, NULL, NULL, FALSE, %(at)s, %(at)s"""
RECORD_SQL = f"INSERT INTO attendance_attendancerecord ({RECORD_COLUMNS}) VALUES ({RECORD_VALUES}) RETURNING id"  # noqa: E501, S608

ATTEMPT_SQL = """INSERT INTO attendance_checkinattempt (activity_id, user_id, member_id,
    kind, code, latitude, longitude, accuracy_m, distance_m, at, ip, user_agent, device_id,
    client)
VALUES (%(activity)s, %(user)s, %(member)s, %(kind)s, %(code)s, %(latitude)s,
    %(longitude)s, %(accuracy)s, %(distance)s, %(at)s, %(ip)s, %(user_agent)s, %(device)s,
    %(client)s)"""

# PostgreSQL writes both rows in one statement, atomic by itself without BEGIN/COMMIT
# (docs/decisions.md); the record's values use the same names as the attempt's.
PAIR_SQL = f"""WITH new_record AS ({RECORD_SQL})
{ATTEMPT_SQL} RETURNING (SELECT id FROM new_record)"""  # noqa: S608
