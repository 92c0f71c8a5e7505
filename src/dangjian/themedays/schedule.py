"""When an activity may take place: the one rule on its dates, duration and check-in and
check-out windows (docs/product.md, "Checking in and out"). The service checks a whole plan
with it before anything is written; the API's bodies and the phone's plan form check what
they carry with it, so an impossible date is refused with the same words everywhere.

The start (and the end) lies between `EARLIEST_YEAR` and the end of the year `YEARS_AHEAD`
years after today (Asia/Shanghai), the end after the start and at most the policy's
`max_duration_hours` later, each window's minutes within the policy's limits. Inside those
bounds every window (`models.window_of`) is a representable time.

Also the month a campaign or a study package is for (`first_of_month`), read the same way
by both."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import clock
from dangjian.core.errors import DomainError

EARLIEST_YEAR = 2000
YEARS_AHEAD = 5
# The minute fields: (name, the policy's maximum).
WINDOW_MINUTES = (
    ("checkin_opens_before_min", "max_checkin_opens_before_min"),
    ("checkin_closes_after_min", "max_checkin_closes_after_min"),
    ("checkout_closes_after_min", "max_checkout_closes_after_min"),
)


def first_of_month(month: date | str) -> date:
    """The first day of `month`, given as a date (any day of it) or as "YYYY-MM"; a
    `validation_error` on `month` for a string that is not one. Laxer than
    `scoring.selectors.periods.parse_month` ("2026-1" and " 2026-01" pass), which the
    campaigns' and packages' callers have always been allowed."""
    if isinstance(month, str):
        try:
            year, mon = month.split("-")
            return date(int(year), int(mon), 1)
        except ValueError as exc:
            raise DomainError("validation_error", _("月份格式应为 YYYY-MM"), field="month") from exc
    return month.replace(day=1)


def years(now: datetime) -> tuple[int, int]:
    """The first and the last year an activity may take place in, seen from `now`."""
    return EARLIEST_YEAR, timezone.localtime(now).year + YEARS_AHEAD


def check_schedule(
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    checkin_opens_before_min=None,
    checkin_closes_after_min=None,
    checkout_closes_after_min=None,
    now: datetime | None = None,
    policy: dict | None = None,
) -> None:
    """Refuse (`DomainError("validation_error", field=...)`) what is impossible among the
    values given; a value left out (None) is not judged, so a partial edit checks what it
    changes and the service checks the plan as a whole. Aware datetimes are compared, never
    shifted, so no value, however far off, overflows here."""
    now = now or clock.now()
    policy = policy or settings.ACTIVITY_POLICY
    first, last = years(now)
    zone = timezone.get_default_timezone()
    earliest = datetime(first, 1, 1, tzinfo=zone)
    after_last = datetime(last + 1, 1, 1, tzinfo=zone)
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and not earliest <= value < after_last:
            raise DomainError(
                "validation_error",
                _("活动时间应在 %(first)d 年至 %(last)d 年之间") % {"first": first, "last": last},
                field=field,
            )
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            raise DomainError("validation_error", _("结束时间应晚于开始时间"), field="ends_at")
        if ends_at - starts_at > timedelta(hours=policy["max_duration_hours"]):
            raise DomainError(
                "validation_error",
                _("活动时长不能超过 %d 小时") % policy["max_duration_hours"],
                field="ends_at",
            )
    given = {
        "checkin_opens_before_min": checkin_opens_before_min,
        "checkin_closes_after_min": checkin_closes_after_min,
        "checkout_closes_after_min": checkout_closes_after_min,
    }
    for field, maximum in WINDOW_MINUTES:
        value = given[field]
        if value is None:
            continue
        limit = policy[maximum]
        if not 0 <= _minutes(value) <= limit:
            raise DomainError(
                "validation_error",
                _("签到/签退时间设置超出允许范围（0–%d 分钟）") % limit,
                field=field,
            )
    checkout = given["checkout_closes_after_min"]
    if checkout is not None and _minutes(checkout) < policy["min_checkout_closes_after_min"]:
        raise DomainError(
            "validation_error",
            _("签退时间窗口不能少于 %d 分钟") % policy["min_checkout_closes_after_min"],
            field="checkout_closes_after_min",
        )


def check_schedule_of(plan, *, policy: dict | None = None) -> None:
    """`check_schedule` on what `plan` carries (an activity, an API body): its start, end and
    window minutes, read by the same names."""
    check_schedule(
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        **{name: getattr(plan, name) for name, _maximum in WINDOW_MINUTES},
        policy=policy,
    )


def _aware(value: datetime | None) -> datetime | None:
    """A time without a zone is read in Asia/Shanghai (as the service stores it)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _minutes(value) -> int:
    """A whole number of minutes; anything else (-1 here) is out of every range."""
    if isinstance(value, bool):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return -1
