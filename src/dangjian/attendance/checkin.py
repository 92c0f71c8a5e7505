"""Checking in and out at the venue (docs/product.md, "Checking in and out",
docs/attendance.md), in three steps:

1. **Facts.** `read_facts()` reads everything a decision needs in one query (`FACTS_SQL`,
   with the writes' statements in `checkin_sql`):
   the activity of the scanned token, the member, their roster standing, their record and
   whether the phone checked in someone else, into a frozen `CheckInFacts`.
2. **Decision.** `decide()` holds every rule (windows, radius, accuracy, roster,
   cancelled, not approved, rotating code, repeats, shared phone). It is a pure function
   of the facts, the server's time and what the phone sent.
3. **Write.** `check_in()` and `check_out()` read, decide and write. Every attempt,
   accepted or refused, is logged with its reason (`CheckInAttempt`); a refusal is raised
   as a `DomainError` once its log entry is written.

A whole branch scans the poster within minutes, and a city's branches on the same
mornings, so the usual check-in is two statements: the facts, then the new record and its
log entry together (docs/performance.md, "Checking in")."""

import math
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from dangjian.attendance import codes, geo
from dangjian.attendance.checkin_sql import ATTEMPT_SQL, FACTS_SQL, PAIR_SQL, RECORD_SQL
from dangjian.attendance.models import (
    ACCEPTED,
    ATTENDED,
    REPEATED,
    AttemptKind,
    AttendanceRecord,
    AttendanceStatus,
    CheckInAttempt,
)
from dangjian.core import clock, coords
from dangjian.core.clientip import client_ip
from dangjian.core.db import hot_connection
from dangjian.core.errors import DomainError
from dangjian.core.text import single_line
from dangjian.registry.models import ApiKey, User
from dangjian.themedays import roster
from dangjian.themedays.models import Activity, ActivityStatus, window_of

REFLECTION_MAX_CHARS = 1000
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# What a client may tell about itself, kept in the log (never trusted).
CLIENT_META_KEYS = ("client_time", "timezone", "platform", "app", "source")


# What the phone sent ----------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float


def position(latitude, longitude, accuracy_m, coord_system=coords.WGS84) -> Position:
    """The phone's reported position, validated (`validation_error` with the field) and
    brought to WGS-84 from the system it was given in (`invalid_coord_system`)."""
    latitude = _number(latitude, "latitude")
    longitude = _number(longitude, "longitude")
    accuracy_m = _number(accuracy_m, "accuracy_m")
    if not -90 <= latitude <= 90:
        raise DomainError("validation_error", _("纬度应在 -90 到 90 之间"), field="latitude")
    if not -180 <= longitude <= 180:
        raise DomainError("validation_error", _("经度应在 -180 到 180 之间"), field="longitude")
    if accuracy_m < 0:
        raise DomainError("validation_error", _("定位精度不能为负数"), field="accuracy_m")
    latitude, longitude = coords.to_wgs84(latitude, longitude, coord_system)
    return Position(latitude, longitude, accuracy_m)


def _number(value, name: str) -> float:
    if value is None:
        raise DomainError("validation_error", _("缺少位置信息"), field=name)
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise DomainError("validation_error", _("坐标应为数字"), field=name)
    return number


@dataclass(frozen=True)
class ClientInfo:
    """What the request says about the phone: kept in the attempt log, never trusted.
    `code` is the rotating-QR code from the scanned address, when there is one."""

    ip: str | None = None
    user_agent: str = ""
    device_id: str = ""
    code: str = ""
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_request(cls, request, *, device_id: str = "", code: str = "", **meta) -> "ClientInfo":
        # Kept as text, without what no text or JSON column may hold (NUL: core.text).
        kept = {}
        for key in CLIENT_META_KEYS:
            value = meta.get(key)
            text = single_line(str(value)) if value is not None else ""
            if text:
                kept[key] = _client_time(text) if key == "client_time" else text[:100]
        device_id = (device_id or "").strip()
        return cls(
            ip=client_ip(request),
            user_agent=single_line(request.META.get("HTTP_USER_AGENT", ""))[:400],
            device_id=device_id if DEVICE_ID_RE.match(device_id) else "",
            code=single_line(code or "")[:32],
            meta=kept,
        )


def _client_time(value) -> str:
    # The phone's clock as it said it: evidence, not input (unparsable text is kept).
    parsed = parse_datetime(str(value)[:40])
    return parsed.isoformat() if parsed else str(value)[:40]


# 1. Facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFacts:
    id: int
    branch_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    latitude: float
    longitude: float
    radius_m: int
    checkin_opens_before_min: int
    checkin_closes_after_min: int
    checkout_closes_after_min: int
    is_roster_frozen: bool
    rotating_secret: str | None
    # The partition month of its records (models.record_month).
    month: date

    @property
    def window(self):
        return window_of(self)


@dataclass(frozen=True)
class Attendance:
    """A member's attendance record at an activity, as a check-in or check-out left it."""

    id: int
    activity_id: int
    member_id: int
    status: str
    is_corrected: bool = False
    is_device_shared: bool = False
    checked_in_at: datetime | None = None
    checkin_distance_m: int | None = None
    checked_out_at: datetime | None = None
    checkout_distance_m: int | None = None


@dataclass(frozen=True)
class CheckInFacts:
    """What a decision needs. `user_id` is the account checking in, None when the API key
    it came with holds no more (unknown, expired, or its account deactivated); `activity`
    is None when no activity has the scanned token; `member_id` and `standing` are None
    for an account without a member record."""

    user_id: int | None
    activity: ActivityFacts | None
    member_id: int | None
    standing: roster.Standing | None
    on_frozen_roster: bool
    record: Attendance | None
    is_device_shared: bool

    def roster_needs_freezing(self, now: datetime) -> bool:
        """Started and not frozen: the first attempt after the start freezes the roster."""
        activity = self.activity
        return (
            activity is not None
            and activity.status == ActivityStatus.APPROVED
            and roster.source(
                starts_at=activity.starts_at, is_frozen=activity.is_roster_frozen, now=now
            )
            == roster.Source.AT_START
        )

    def is_on_roster(self, now: datetime) -> bool:
        return self.activity is not None and roster.on_roster(
            branch_id=self.activity.branch_id,
            starts_at=self.activity.starts_at,
            is_frozen=self.activity.is_roster_frozen,
            on_frozen_roster=self.on_frozen_roster,
            standing=self.standing,
            now=now,
        )


def read_facts(
    cursor, *, token: str, actor: User | ApiKey, at, device_id: str = ""
) -> CheckInFacts:
    """`actor`: the signed-in user, or the API key the request came with (checked here,
    with the rest); `at`: the server's time as the database takes it (`_db_time`)."""
    is_key = isinstance(actor, ApiKey)
    params = {
        "user": None if is_key else actor.pk,
        "key": actor.digest if is_key else None,
        "now": at,
        "token": token,
        "device": device_id,
    }
    # The hot connection and the default one reach the same database.
    cursor.execute(FACTS_SQL[connection.vendor], params)
    user_id, month, *row = cursor.fetchone()
    return _facts(user_id, month, row)


def _facts(user_id: int | None, month, row) -> CheckInFacts:
    activity = None
    if row[0] is not None:
        activity = ActivityFacts(
            *row[:3],
            _datetime(row[3]),
            _datetime(row[4]),
            float(row[5]),
            float(row[6]),
            *row[7:11],
            bool(row[11]),
            row[12],
            _date(month),
        )
    member_id, branch_id, is_active, left_at, on_frozen, left_branch = row[13:19]
    standing = None
    if member_id is not None:
        standing = roster.Standing(branch_id, bool(is_active), left_at, left_branch)
    record = None
    if row[19] is not None:
        record_id, status, corrected, shared, checked_in, in_m, checked_out, out_m = row[19:27]
        record = Attendance(
            record_id,
            activity.id,
            member_id,
            status,
            bool(corrected),
            bool(shared),
            _datetime(checked_in),
            in_m,
            _datetime(checked_out),
            out_m,
        )
    return CheckInFacts(
        user_id, activity, member_id, standing, bool(on_frozen), record, bool(row[27])
    )


def _date(value) -> date:
    # SQLite gives back the text of the date.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _datetime(value: datetime | None) -> datetime | None:
    # SQLite gives back the UTC time Django wrote, without its zone.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# 2. Decision --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """`code` is ACCEPTED, REPEATED or the refusal's code (with its message and the details
    the API adds to it). `distance_m` is the phone's distance to the venue when measured."""

    code: str
    message: str = ""
    details: dict = field(default_factory=dict)
    distance_m: int | None = None
    is_device_shared: bool = False

    @property
    def is_refusal(self) -> bool:
        return self.code not in (ACCEPTED, REPEATED)

    def error(self) -> DomainError:
        return DomainError(self.code, self.message, **self.details)


def refuse(code: str, message: str, *, measured_m: int | None = None, **details) -> Decision:
    """A refusal; `measured_m`: the distance to the venue, when it was measured (logged)."""
    return Decision(code, str(message), details, measured_m)


def decide(
    kind: str,
    facts: CheckInFacts,
    *,
    now: datetime,
    where: Position,
    code: str = "",
    device_id: str = "",
    reflection: str = "",
) -> Decision:
    """Accept, repeat or refuse a check-in or check-out (`kind`), in the order in which a
    member can act on the refusals."""
    activity = facts.activity
    refused = activity_refusal(facts, now=now, code=code)
    if refused is not None:
        return refused
    record = facts.record
    if kind == AttemptKind.CHECK_IN:
        # Checked in already, or decided by a superior's correction: nothing changes.
        if record is not None and (record.status in ATTENDED or record.is_corrected):
            return Decision(REPEATED)
        refused = _outside(kind, activity, now)
        if refused is not None:
            return refused
    else:
        if record is not None and record.status == AttendanceStatus.CHECKED_OUT:
            return Decision(REPEATED)
        if record is None or record.status != AttendanceStatus.CHECKED_IN:
            return refuse("not_checked_in", _("你尚未签到，不能签退。"))
        refused = _outside(kind, activity, now)
        if refused is not None:
            return refused
        reflection = (reflection or "").strip()
        if not reflection:
            return refuse("reflection_required", _("签退须填写心得体会。"), field="reflection")
        if len(reflection) > REFLECTION_MAX_CHARS:
            return refuse(
                "validation_error",
                _("心得体会不能超过 %d 个字") % REFLECTION_MAX_CHARS,
                field="reflection",
            )
    distance = _distance(activity, where)
    return _at_the_venue(activity, where, distance) or Decision(
        ACCEPTED,
        distance_m=distance,
        is_device_shared=bool(device_id and facts.is_device_shared),
    )


def _outside(kind: str, activity: ActivityFacts, now: datetime) -> Decision | None:
    """`too_early` or `too_late` for a check-in or check-out (`kind`): check-in opens and
    closes with the activity's window, check-out opens when the activity ends."""
    window = activity.window
    if kind == AttemptKind.CHECK_IN:
        opens, closes = window.checkin_opens_at, window.checkin_closes_at
        early, late = N_("签到尚未开始，将于 %(at)s 开放。"), N_("签到已于 %(at)s 截止。")
    else:
        opens, closes = activity.ends_at, window.checkout_closes_at
        early, late = N_("活动尚未结束，%(at)s 后才能签退。"), N_("签退已于 %(at)s 截止。")
    if now < opens:
        return refuse("too_early", _(early) % {"at": _when(opens, now)}, opens_at=_iso(opens))
    if now > closes:
        return refuse("too_late", _(late) % {"at": _when(closes, now)}, closed_at=_iso(closes))
    return None


def activity_refusal(facts: CheckInFacts, *, now: datetime, code: str = "") -> Decision | None:
    """The refusals that do not depend on where the phone is or what it did before: the
    token, the activity's state, the roster and the rotating code."""
    activity = facts.activity
    if activity is None:
        return refuse("invalid_token", _("签到二维码无效或已更换，请扫描现场最新的二维码。"))
    refused = state_refusal(activity)
    if refused is not None:
        return refused
    if not facts.is_on_roster(now):
        return refuse("not_on_roster", _("你不在本次活动的参加人员名单中。"))
    if activity.rotating_secret and not codes.is_valid(activity.rotating_secret, code, now):
        return refuse("invalid_token", _("二维码已过期，请重新扫描屏幕上的二维码。"), rotating=True)
    return None


def state_refusal(activity: ActivityFacts | Activity) -> Decision | None:
    """An activity that takes no check-in or check-out at all, whoever asks: the check-in
    page shows this before the member presses anything."""
    if activity.status == ActivityStatus.CANCELLED:
        return refuse("cancelled", _("该活动已取消。"))
    if activity.status == ActivityStatus.CLOSED:
        return refuse(
            "too_late",
            _("该活动已结束，签到和签退均已截止。"),
            closed_at=_iso(activity.window.checkout_closes_at),
        )
    if activity.status != ActivityStatus.APPROVED:
        return refuse("not_approved", _("该活动尚未通过审核，暂不能签到。"))
    return None


def _distance(activity: ActivityFacts, where: Position) -> int:
    return round(
        geo.distance_m(where.latitude, where.longitude, activity.latitude, activity.longitude)
    )


def _at_the_venue(activity: ActivityFacts, where: Position, distance: int) -> Decision | None:
    radius = activity.radius_m
    breach = geo.fence_breach(distance_m=distance, accuracy_m=where.accuracy_m, radius_m=radius)
    if breach == geo.IMPRECISE:
        return refuse(
            "imprecise_location",
            _(
                "定位不够准确（误差约 %(accuracy)d 米，须在 %(radius)d 米以内）。"
                "请打开手机定位（GPS），到开阔处后重试。"
            )
            % {"accuracy": round(where.accuracy_m), "radius": radius},
            measured_m=distance,
            accuracy_m=round(where.accuracy_m),
            radius_m=radius,
        )
    if breach == geo.OUT_OF_RANGE:
        return refuse(
            "out_of_range",
            _("你距离活动地点 %(distance)s，签到范围为 %(radius)d 米。请到活动地点后再试。")
            % {"distance": geo.describe(distance), "radius": radius},
            measured_m=distance,
            distance_m=distance,
            radius_m=radius,
        )
    return None


def _iso(at: datetime) -> str:
    return timezone.localtime(at).isoformat()


def _when(at: datetime, now: datetime) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localtime(now).date():
        return formats.date_format(local, "H:i")
    # A translatable date format: "n月j日 H:i" in Chinese, "M j, H:i" in English.
    return formats.date_format(local, _("n月j日 H:i"))


# 3. Write -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A check-in or check-out that was not refused. `created` is true when this call
    recorded it; false when it returns the earlier one unchanged."""

    record: Attendance
    created: bool


def check_in(
    *,
    actor: User | ApiKey,
    token: str,
    latitude,
    longitude,
    accuracy_m,
    coord_system: str = coords.WGS84,
    client: ClientInfo | None = None,
) -> Outcome:
    """Check in at the venue during the check-in window. A repeated check-in returns the
    record unchanged. `actor`: the signed-in user, or the API key the request came with,
    checked with the facts. Refusals (`DomainError`): unauthenticated (a key that holds no
    more), invalid_token, cancelled, not_approved, not_on_roster, too_early, too_late,
    imprecise_location, out_of_range."""
    reported = (latitude, longitude, accuracy_m, coord_system)
    return _attempt(AttemptKind.CHECK_IN, actor, token, reported, client)


def check_out(
    *,
    actor: User | ApiKey,
    token: str,
    latitude,
    longitude,
    accuracy_m,
    reflection: str,
    coord_system: str = coords.WGS84,
    client: ClientInfo | None = None,
) -> Outcome:
    """Check out at the venue after the end, with a reflection (posted as the member's
    comment). A repeated check-out returns the record unchanged. Refusals: those of
    check-in, and not_checked_in, reflection_required."""
    reported = (latitude, longitude, accuracy_m, coord_system)
    return _attempt(AttemptKind.CHECK_OUT, actor, token, reported, client, reflection)


def _attempt(kind, actor, token, reported, client, reflection="") -> Outcome:
    client = client or ClientInfo()
    token = (token or "").strip()
    # The hot connection (core.db.hot_connection): its statements are prepared, and there
    # (PostgreSQL, outside any transaction) a new record and its log entry are one
    # statement, atomic by itself. Inside a transaction (a test's, say) the pair would need
    # a savepoint to be retried after a unique violation, so it takes the general road.
    db = hot_connection()
    pair_ok = db.alias == settings.HOT_DB_ALIAS
    with db.cursor() as cursor:
        for last_try in (False, True):
            now = clock.now()
            at = _db_time(now, db)
            facts = read_facts(cursor, token=token, actor=actor, at=at, device_id=client.device_id)
            if facts.user_id is None:
                # As the API answers any request whose key holds no more; nothing is logged.
                raise DomainError("unauthenticated", _("请先登录"))
            # Validated once the key is known to hold: a bad key is answered first.
            where = position(*reported)
            decision = decide(
                kind,
                facts,
                now=now,
                where=where,
                code=client.code,
                device_id=client.device_id,
                reflection=reflection,
            )
            attempt = _Attempt(
                kind, actor, facts, decision, now, at, where, client, reflection, cursor, pair_ok
            )
            try:
                outcome = attempt.write()
            except IntegrityError:
                # The member's other attempt wrote the record first: read it again.
                if last_try:
                    raise
                continue
            if outcome.created:
                _score_inputs_changed(outcome.record.activity_id)
            return outcome
    raise AssertionError("unreachable")


@dataclass
class _Attempt:
    """One attempt, decided: `write()` logs it and makes its change, or raises its refusal
    once the log entry is written."""

    kind: str
    actor: User | ApiKey
    facts: CheckInFacts
    decision: Decision
    now: datetime
    at: Any  # `now` as the database takes it (_db_time)
    where: Position
    client: ClientInfo
    reflection: str
    cursor: Any
    pair_ok: bool  # a new record and its log entry may be written in one statement

    def write(self) -> Outcome:
        facts, decision = self.facts, self.decision
        must_freeze = facts.roster_needs_freezing(self.now)
        if decision.code == REPEATED or (decision.is_refusal and not must_freeze):
            # The log entry alone: one statement, atomic by itself.
            self.execute(ATTEMPT_SQL, self.log_entry())
            if decision.is_refusal:
                raise decision.error()
            return Outcome(facts.record, created=False)
        if self.is_plain_check_in() and not must_freeze and self.pair_ok:
            record_id = self.execute(PAIR_SQL, {**self.log_entry(), **self.new_record()})
            return Outcome(self.checked_in(record_id), created=True)
        error, outcome = None, None
        with transaction.atomic(), connection.cursor() as cursor:
            # The transaction's statements share its connection, the default one.
            self.cursor = cursor
            if must_freeze:
                _freeze_roster(facts.activity.id)
            if decision.is_refusal:
                error = decision.error()
            else:
                try:
                    outcome = self.change()
                except DomainError as exc:
                    error = exc
            self.execute(ATTEMPT_SQL, self.log_entry(error.code if error else decision.code))
        if error is not None:
            raise error
        return outcome

    def execute(self, sql: str, params: dict) -> int | None:
        """Run one of the INSERTs below; the new row's id when it returns one."""
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone() if "RETURNING" in sql else None
        return row[0] if row else None

    def is_plain_check_in(self) -> bool:
        """A new record and its log entry, nothing else to write."""
        return (
            self.kind == AttemptKind.CHECK_IN
            and not self.decision.is_refusal
            and self.facts.record is None
            and not self.decision.is_device_shared
        )

    def change(self) -> Outcome:
        """Write the accepted attempt's change to the member's record."""
        facts, decision, now = self.facts, self.decision, self.now
        activity_id, record = facts.activity.id, facts.record
        if self.kind == AttemptKind.CHECK_OUT:
            # The reflection may be refused (forbidden words): so is the check-out.
            with transaction.atomic():
                changed = AttendanceRecord.objects.filter(
                    pk=record.id, month=facts.activity.month, status=AttendanceStatus.CHECKED_IN
                ).update(
                    status=AttendanceStatus.CHECKED_OUT,
                    checked_out_at=now,
                    checkout_distance_m=decision.distance_m,
                    updated_at=now,
                )
                if not changed:
                    # A concurrent check-out of the same member won (the UPDATE waited for
                    # it) and posted its reflection.
                    return Outcome(_reread(record.id, facts.activity.month), created=False)
                _post_reflection(self.user(), activity_id, self.reflection)
            return Outcome(
                replace(
                    record,
                    status=AttendanceStatus.CHECKED_OUT,
                    checked_out_at=now,
                    checkout_distance_m=decision.distance_m,
                ),
                created=True,
            )
        if record is None:
            done = self.checked_in(self.execute(RECORD_SQL, self.new_record()))
        else:
            # On approved leave and came all the same: present.
            AttendanceRecord.objects.filter(
                pk=record.id, month=facts.activity.month, status=AttendanceStatus.ON_LEAVE
            ).update(
                status=AttendanceStatus.CHECKED_IN,
                checked_in_at=now,
                checkin_distance_m=decision.distance_m,
                device_id=self.client.device_id,
                updated_at=now,
            )
            done = replace(
                record,
                status=AttendanceStatus.CHECKED_IN,
                checked_in_at=now,
                checkin_distance_m=decision.distance_m,
                is_device_shared=record.is_device_shared or decision.is_device_shared,
            )
        if decision.is_device_shared:
            # One phone checking in several members: all their records are flagged, and
            # the superior sees it on the attendance pages and at closing.
            AttendanceRecord.objects.filter(
                activity_id=activity_id,
                month=facts.activity.month,
                device_id=self.client.device_id,
            ).update(is_device_shared=True)
        return Outcome(done, created=True)

    def user(self) -> User:
        """The account checking in, read when a write needs the instance (a reflection)."""
        if isinstance(self.actor, User):
            return self.actor
        return User.objects.get(pk=self.facts.user_id)

    def checked_in(self, record_id: int) -> Attendance:
        return Attendance(
            record_id,
            self.facts.activity.id,
            self.facts.member_id,
            AttendanceStatus.CHECKED_IN,
            is_device_shared=self.decision.is_device_shared,
            checked_in_at=self.now,
            checkin_distance_m=self.decision.distance_m,
        )

    def new_record(self) -> dict:
        """RECORD_SQL's parameters (those it shares with ATTEMPT_SQL have the same value)."""
        return {
            "activity": self.facts.activity.id,
            "month": self.facts.activity.month,
            "member": self.facts.member_id,
            "at": self.at,
            "distance": self.decision.distance_m,
            "device": self.client.device_id,
            "shared": self.decision.is_device_shared,
        }

    def log_entry(self, code: str | None = None) -> dict:
        """ATTEMPT_SQL's parameters."""
        facts, client, where = self.facts, self.client, self.where
        meta = dict(client.meta)
        if client.code:
            meta["code"] = client.code
        return {
            "activity": facts.activity.id if facts.activity is not None else None,
            "user": self.facts.user_id,
            "member": facts.member_id,
            "kind": self.kind,
            "code": code or self.decision.code,
            "latitude": Decimal(f"{where.latitude:.6f}"),
            "longitude": Decimal(f"{where.longitude:.6f}"),
            "accuracy": where.accuracy_m,
            "distance": self.decision.distance_m,
            "at": self.at,
            "ip": client.ip,
            "user_agent": client.user_agent,
            "device": client.device_id,
            "client": _db_json(meta),
        }


def _post_reflection(actor: User, activity_id: int, reflection: str) -> None:
    from dangjian.interaction import services as interaction

    activity = Activity.objects.select_related("branch").get(pk=activity_id)
    interaction.post_comment(
        actor=actor, activity=activity, body=reflection.strip(), is_reflection=True
    )


def _freeze_roster(activity_id: int) -> None:
    # The first attempt after the start, and the scheduler has not frozen the roster yet:
    # freeze it now, so that later reads take the frozen rows (this decision already used
    # the same roster, rebuilt from the transfer history).
    from dangjian.themedays import services as themedays

    themedays.freeze_roster(activity=Activity(pk=activity_id))


def _reread(record_id: int, month: date) -> Attendance:
    # Attendance's fields are the record's own (attnames), in the same order.
    names = [f.name for f in fields(Attendance)]
    return Attendance(*AttendanceRecord.objects.values_list(*names).get(pk=record_id, month=month))


def _score_inputs_changed(activity_id: int) -> None:
    # Attendance is the largest input of the activity's score (docs/product.md, "Scoring");
    # check-ins come in bursts, so scoring debounces the recompute.
    from dangjian.scoring import services as scoring

    scoring.inputs_changed(activity_id=activity_id, debounce=True)


def _db_time(value: datetime, db):
    # What the ORM writes for a timestamp: on PostgreSQL the aware datetime itself, which
    # psycopg adapts; on SQLite UTC text.
    if db.vendor == "postgresql":
        return value
    return CheckInAttempt._meta.get_field("at").get_db_prep_save(value, db)


def _db_json(value: dict):
    return CheckInAttempt._meta.get_field("client").get_db_prep_save(value, connection)
