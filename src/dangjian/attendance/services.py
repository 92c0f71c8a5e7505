"""Writes for attendance (SPEC.md §3): check-in and check-out from the phone, leave,
manual corrections, rotating-QR mode and the closing of an activity.

Check-in is the hot path (a whole branch scans the poster within minutes, a city's
branches on the same morning). It runs a fixed handful of queries whatever the roster
size: one SELECT that answers "which activity, is this member on its roster, have they a
record already, is rotating mode on, has this phone checked in someone else" at once, one
INSERT of the record (two check-ins at the same instant leave one row: the unique
constraint decides), one INSERT into the attempt log. These three are hand-written SQL
(`core.rawsql`): composing them with the ORM cost ten times more than running them. The
member id of a user never changes, so it comes with the API's token look-up or is cached.

Every attempt, accepted or refused, is logged in the same transaction as its effect; a
refusal is raised only after the log is written."""

import contextlib
import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.attendance import codes, geo
from dangjian.attendance.models import (
    ACCEPTED,
    ATTENDED,
    REPEATED,
    STORED_STATUSES,
    AttemptKind,
    AttendanceRecord,
    AttendanceStatus,
    CheckInAttempt,
    Correction,
    LeaveRequest,
    RequestStatus,
    RotatingQR,
)
from dangjian.audit import services as audit
from dangjian.core import clock, rawsql
from dangjian.core.clientip import client_ip
from dangjian.core.errors import DomainError
from dangjian.interaction import services as interaction
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry import services as registry_services
from dangjian.registry.models import Member, Organization, User
from dangjian.themedays import roster
from dangjian.themedays import selectors as themedays_selectors
from dangjian.themedays import services as themedays_services
from dangjian.themedays.models import Activity, ActivityEvent, ActivityStatus, RosterEntry

MEMBER_CACHE_SECONDS = 24 * 3600
REFLECTION_MAX_CHARS = 1000
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# What a client may tell about itself, kept as metadata (never trusted).
CLIENT_META_KEYS = ("client_time", "timezone", "platform", "app", "source")


# The phone and its request -----------------------------------------------------------------


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
        clean_meta = {}
        for key in CLIENT_META_KEYS:
            value = meta.get(key)
            if value not in (None, ""):
                clean_meta[key] = (
                    parse_client_time(value) if key == "client_time" else str(value)[:100]
                )
        device_id = (device_id or "").strip()
        return cls(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            device_id=device_id if DEVICE_ID_RE.match(device_id) else "",
            code=(code or "").strip()[:32],
            meta=clean_meta,
        )


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float


def _number(value, field_name: str) -> float:
    if isinstance(value, bool):
        raise DomainError("validation_error", _("坐标应为数字"), field=field_name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError("validation_error", _("坐标应为数字"), field=field_name) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DomainError("validation_error", _("坐标应为数字"), field=field_name)
    return number


def position(latitude, longitude, accuracy_m) -> Position:
    """The phone's reported position, validated (422 `validation_error` otherwise)."""
    if latitude is None or longitude is None or accuracy_m is None:
        missing = next(
            n
            for n, v in (
                ("latitude", latitude),
                ("longitude", longitude),
                ("accuracy_m", accuracy_m),
            )
            if v is None
        )
        raise DomainError("validation_error", _("缺少位置信息"), field=missing)
    lat = _number(latitude, "latitude")
    lon = _number(longitude, "longitude")
    acc = _number(accuracy_m, "accuracy_m")
    if not -90 <= lat <= 90:
        raise DomainError("validation_error", _("纬度应在 -90 到 90 之间"), field="latitude")
    if not -180 <= lon <= 180:
        raise DomainError("validation_error", _("经度应在 -180 到 180 之间"), field="longitude")
    if acc < 0:
        raise DomainError("validation_error", _("定位精度不能为负数"), field="accuracy_m")
    return Position(lat, lon, acc)


def _iso(at: datetime) -> str:
    return timezone.localtime(at).isoformat()


def _when(at: datetime, now: datetime) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localtime(now).date():
        return formats.date_format(local, "H:i")
    # A translatable date format: "n月j日 H:i" in Chinese, "M j, H:i" in English.
    return formats.date_format(local, _("n月j日 H:i"))


# The hot path --------------------------------------------------------------------------------


def member_id_of(user) -> int | None:
    """The id of the user's member record (whether still active or not). A member record
    never changes hands, so the answer is cached once found."""
    if user is None or not user.is_authenticated:
        return None
    known = getattr(user, "_dj_member", None)
    if known is not None:
        return known.pk
    if hasattr(user, "_dj_member_id"):
        # The API's token look-up read it in the same row as the user (None: no member).
        return user._dj_member_id
    key = f"attendance:member-of:{user.pk}"
    member_id = cache.get(key)
    if member_id is None:
        member_id = Member.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        if member_id is not None:
            cache.set(key, member_id, MEMBER_CACHE_SECONDS)
    return member_id


# The activity's columns an attempt reads (check-out reads them all, and the branch).
CHECKIN_FIELDS = (
    "id",
    "branch_id",
    "status",
    "starts_at",
    "ends_at",
    "latitude",
    "longitude",
    "radius_m",
    "checkin_opens_before_min",
    "checkin_closes_after_min",
    "checkout_closes_after_min",
    "roster_frozen_at",
)
# What the same SELECT answers about this member and phone, set as attributes.
TARGET_FACTS = (
    "rotating_secret",
    "on_frozen_roster",
    "is_branch_member",
    "record_id",
    "device_shared",
)


@functools.cache
def _target_statement(
    full: bool, device: bool, with_holder: bool, vendor: str
) -> tuple[str, tuple, tuple, tuple]:
    """The SELECT behind `_target`, written once per process from the models' _meta.

    Hand-written because it is the check-in's hot path: the ORM took about 6 ms of CPU to
    compose this query (four correlated subqueries) on every check-in, and the database
    answers it in 0.2 ms. The subqueries read one row each through unique indexes (the
    token; rotating mode per activity; roster and record per activity and member), so the
    cost does not grow with the roster. No constants are passed as parameters (and the
    phone's check is left out when no device id was sent), so that PostgreSQL's generic
    plan of the prepared statement is as good as a fresh one and is kept (rawsql).

    `with_holder`: the member is not known yet but by the API key of the request; the
    registry's token look-up is its first part (a WITH clause), its row the first columns,
    and the member's id is read from it: who and what in one round trip. The activity is
    then joined to that row (NULL columns: no activity has this token), and no row at all
    means that no one holds the key."""
    q, t, c = rawsql.quote, rawsql.table, rawsql.column
    a_fields = rawsql.concrete_attnames(Activity) if full else CHECKIN_FIELDS
    b_fields = rawsql.concrete_attnames(Organization) if full else ()
    u_fields: tuple = ()
    a_id = f"a.{c(Activity, 'id')}"
    select, prefix, member = [], "", "%s"
    if with_holder:
        # A check-in needs the holder's id only (the rest loads if ever touched).
        holder_sql, u_fields = registry_services.token_holder_cte(whole_user=full)
        prefix = f"WITH {q('who')} AS ({holder_sql}) "
        member = f"{q('who')}.{q(registry_services.MEMBER_ID_ALIAS)}"
        select.append(", ".join(f"{q('who')}.{c(User, name)}" for name in u_fields) + f", {member}")
    select.append(rawsql.select_list(Activity, "a", a_fields))
    # Rotating mode: the secret while it is on.
    select.append(
        f"(SELECT {c(RotatingQR, 'secret')} FROM {t(RotatingQR)} "  # noqa: S608
        f"WHERE {c(RotatingQR, 'activity_id')} = {a_id} AND {c(RotatingQR, 'is_enabled')} = TRUE)"
    )
    # On the roster frozen at the start (read when it is frozen).
    select.append(
        f"EXISTS (SELECT 1 FROM {t(RosterEntry)} WHERE {c(RosterEntry, 'activity_id')} = {a_id}"  # noqa: S608
        f" AND {c(RosterEntry, 'member_id')} = {member})"
    )
    # An active member of the branch (the roster before it is frozen).
    select.append(
        f"EXISTS (SELECT 1 FROM {t(Member)} WHERE {c(Member, 'id')} = {member}"  # noqa: S608
        f" AND {c(Member, 'branch_id')} = a.{c(Activity, 'branch_id')}"
        f" AND {c(Member, 'is_active')} = TRUE)"
    )
    # The member's record at this activity, if any.
    select.append(
        f"(SELECT {c(AttendanceRecord, 'id')} FROM {t(AttendanceRecord)}"  # noqa: S608
        f" WHERE {c(AttendanceRecord, 'activity_id')} = {a_id}"
        f" AND {c(AttendanceRecord, 'member_id')} = {member})"
    )
    # Another member's record checked in by the same phone.
    if device:
        select.append(
            f"EXISTS (SELECT 1 FROM {t(AttendanceRecord)}"  # noqa: S608
            f" WHERE {c(AttendanceRecord, 'activity_id')} = {a_id}"
            f" AND {c(AttendanceRecord, 'device_id')} = %s"
            f" AND {c(AttendanceRecord, 'member_id')} <> {member})"
        )
    else:
        select.append("FALSE")
    if full:
        select.append(rawsql.select_list(Organization, "b", b_fields))
    token_match = f"a.{c(Activity, 'checkin_token')} = %s"
    if with_holder:
        sql = f"{prefix}SELECT {', '.join(select)} FROM {q('who')}"  # noqa: S608
        sql += f" LEFT OUTER JOIN {t(Activity)} {q('a')} ON {token_match}"
        join = "LEFT OUTER JOIN"
    else:
        sql = f"SELECT {', '.join(select)} FROM {t(Activity)} {q('a')}"  # noqa: S608
        join = "INNER JOIN"
    if full:
        sql += (
            f" {join} {t(Organization)} {q('b')}"
            f" ON b.{c(Organization, 'id')} = a.{c(Activity, 'branch_id')}"
        )
    if not with_holder:
        sql += f" WHERE {token_match}"
    return sql, u_fields, a_fields, b_fields


def _target(
    token: str,
    member_id: int | None,
    *,
    device_id: str = "",
    full: bool = False,
    holder_key: registry_services.BearerKey | None = None,
    cursor,
) -> tuple[User | None, Activity | None]:
    """The activity of a check-in token with, in the same query, what this member's attempt
    needs to know about it (TARGET_FACTS as attributes). `full`: every field and the
    branch, for check-out.

    With `holder_key` the member is the holder of that API key, read in the same query
    (`member_id` is not used) and returned first; no holder raises InvalidApiKey. Without
    it the first value is None. Run on `cursor`, the attempt's rawsql cursor."""
    with_holder = holder_key is not None
    sql, u_fields, a_fields, b_fields = _target_statement(
        full, bool(device_id), with_holder, connection.vendor
    )
    if with_holder:
        params = registry_services.token_params(holder_key.key)
        if device_id:
            params.append(device_id)
    else:
        params = [member_id, member_id, member_id]
        if device_id:
            params += [device_id, member_id]
    params.append(token)
    cursor.execute(sql, params)
    row = cursor.fetchone()
    holder = None
    if with_holder:
        if row is None:
            raise registry_services.InvalidApiKey
        n = len(u_fields) + 1
        holder = registry_services.holder_from_row(u_fields, row[:n])
        row = row[n:]
        if row[0] is None:
            # The holder's row, joined to no activity.
            return holder, None
    elif row is None:
        return None, None
    n = len(a_fields)
    activity = rawsql.instance(Activity, a_fields, row[:n])
    secret, on_roster, branch_member, record_id, shared = row[n : n + len(TARGET_FACTS)]
    activity.rotating_secret = secret
    activity.on_frozen_roster = bool(on_roster)
    activity.is_branch_member = bool(branch_member)
    activity.record_id = record_id
    activity.device_shared = bool(shared)
    if full:
        branch = rawsql.instance(Organization, b_fields, row[n + len(TARGET_FACTS) :])
        Activity._meta.get_field("branch").set_cached_value(activity, branch)
    return holder, activity


def _on_roster(activity: Activity, member_id: int | None, now: datetime) -> bool:
    if member_id is None:
        return False
    if activity.roster_frozen_at is not None:
        return activity.on_frozen_roster
    if now >= activity.starts_at:
        # The freezing job has not run yet: freeze now, so that who may attend is decided
        # by the roster as it stood at the start (a member who left before it is not on it).
        _before_other_writes()
        themedays_services.freeze_roster(activity=activity)
        return RosterEntry.objects.filter(activity_id=activity.pk, member_id=member_id).exists()
    return activity.is_branch_member


def _check_activity(activity: Activity | None, member_id, client: ClientInfo, now) -> None:
    """The refusals shared by check-in and check-out, in the order a member can act on."""
    if activity is None:
        raise DomainError("invalid_token", _("签到二维码无效或已更换，请扫描现场最新的二维码。"))
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError("cancelled", _("该活动已取消。"))
    if activity.status == ActivityStatus.CLOSED:
        raise DomainError(
            "too_late",
            _("该活动已结束，签到和签退均已截止。"),
            closed_at=_iso(activity.checkout_closes_at),
        )
    if activity.status != ActivityStatus.APPROVED:
        raise DomainError("not_approved", _("该活动尚未通过审核，暂不能签到。"))
    if not _on_roster(activity, member_id, now):
        raise DomainError("not_on_roster", _("你不在本次活动的参加人员名单中。"))
    if activity.rotating_secret and not codes.is_valid(activity.rotating_secret, client.code, now):
        raise DomainError(
            "invalid_token",
            _("二维码已过期，请重新扫描屏幕上的二维码。"),
            rotating=True,
        )


def _check_position(activity: Activity, where: Position, attempt: dict) -> int:
    radius = activity.radius_m
    distance = round(
        geo.distance_m(
            where.latitude, where.longitude, float(activity.latitude), float(activity.longitude)
        )
    )
    attempt["distance_m"] = distance
    if where.accuracy_m > radius:
        raise DomainError(
            "imprecise_location",
            _(
                "定位不够准确（误差约 %(accuracy)d 米，须在 %(radius)d 米以内）。"
                "请打开手机定位（GPS），到开阔处后重试。"
            )
            % {"accuracy": round(where.accuracy_m), "radius": radius},
            accuracy_m=round(where.accuracy_m),
            radius_m=radius,
        )
    if distance > radius:
        raise DomainError(
            "out_of_range",
            _("你距离活动地点 %(distance)s，签到范围为 %(radius)d 米。请到活动地点后再试。")
            % {"distance": geo.describe(distance), "radius": radius},
            distance_m=distance,
            radius_m=radius,
        )
    return distance


def _log(
    *,
    kind: str,
    code: str,
    actor,
    member_id: int | None,
    activity: Activity | None,
    where: Position,
    client: ClientInfo,
    now: datetime,
    distance_m: int | None,
    new_record: dict | None = None,
    cursor,
) -> int | None:
    """Write the attempt, and the new attendance record it made, if any (given as its
    field values): returns that record's id. Rows, not model instances: building and
    preparing two instances cost as much CPU as the queries of a check-in."""
    meta = dict(client.meta)
    if client.code:
        meta["code"] = client.code
    attempt = {
        "activity_id": activity.pk if activity is not None else None,
        "user_id": actor.pk if actor is not None and actor.is_authenticated else None,
        "member_id": member_id,
        "kind": kind,
        "code": code,
        "latitude": Decimal(f"{where.latitude:.6f}"),
        "longitude": Decimal(f"{where.longitude:.6f}"),
        "accuracy_m": where.accuracy_m,
        "distance_m": distance_m,
        "at": now,
        "ip": client.ip,
        "user_agent": client.user_agent,
        "device_id": client.device_id,
        "client": meta,
    }
    if new_record is not None:
        return rawsql.insert_pair(AttendanceRecord, new_record, CheckInAttempt, attempt, on=cursor)
    rawsql.insert(CheckInAttempt, attempt, returning=False, on=cursor)
    return None


@dataclass
class Outcome:
    """A check-in or check-out that was not refused. `created` is true when this call
    wrote it; false when it returns an earlier one unchanged."""

    record: AttendanceRecord
    created: bool


def _score_inputs_changed(activity_id: int, *, debounce: bool = False) -> None:
    """Attendance is the largest input of the activity's score (SPEC.md §5): tell scoring,
    which recomputes after the commit (check-ins in bursts: debounced)."""
    from dangjian.scoring import services as scoring

    scoring.inputs_changed(activity_id=activity_id, debounce=debounce)


class _NeedsTransaction(Exception):
    """Raised by an attempt run without a transaction on reaching a write other than its
    new record and attempt: `_attempt` runs it again in one."""


def _before_other_writes() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise _NeedsTransaction


def _attempt(kind: str, *, actor, token: str, where: Position, client: ClientInfo, decide):
    """Run one attempt: decide (which raises DomainError to refuse) and log it, all its
    writes in one transaction; raise the refusal once the log is written.

    A new record is inserted with its attempt in the same statement where the database
    allows (`rawsql.insert_pair`; PostgreSQL), and without a savepoint: round trips are the
    hot path's cost. There, a check-in whose only write is that statement (the usual one,
    and every refusal) runs without BEGIN and COMMIT around it: the statement is atomic by
    itself, and the reads before it take no locks and would see the same committed rows
    inside a READ COMMITTED transaction. An attempt that must write anything else (freeze
    the roster, a member on leave, a shared phone) is run again in a transaction
    (`_NeedsTransaction`), as is every check-out.

    If the same member's other attempt inserted the record first, the unique constraint
    fails the write (and the transaction): it is run again, and finds their record."""
    token = (token or "").strip()
    # The API's check-in hands the key on unchecked: its holder is read with the activity.
    holder_key = actor if isinstance(actor, registry_services.BearerKey) else None
    if holder_key is not None and not TOKEN_RE.match(token):
        # No activity to read: look the holder up alone.
        actor, holder_key = registry_services.user_for_token(holder_key.key), None
        if actor is None:
            raise registry_services.InvalidApiKey
    member_id = member_id_of(actor) if holder_key is None else None
    in_transaction = (
        kind != AttemptKind.CHECK_IN
        or not rawsql.pair_is_one_statement()
        or transaction.get_connection().in_atomic_block
    )
    # One cursor for the attempt's statements; the check-in's results come in binary
    # (all their columns are of types psycopg loads so; not check-out's).
    with rawsql.cursor(binary=kind == AttemptKind.CHECK_IN) as cursor:
        retried = False
        while True:
            now = clock.now()
            facts: dict = {"distance_m": None}
            activity = None
            error: DomainError | None = None
            outcome: Outcome | None = None
            try:
                with transaction.atomic() if in_transaction else contextlib.nullcontext():
                    try:
                        if TOKEN_RE.match(token):
                            holder, activity = _target(
                                token,
                                member_id,
                                device_id=client.device_id,
                                full=kind == AttemptKind.CHECK_OUT,
                                holder_key=holder_key,
                                cursor=cursor,
                            )
                            if holder_key is not None:
                                # Known from now on, also when the attempt is run again.
                                actor, holder_key = holder, None
                                member_id = member_id_of(actor)
                        outcome = decide(actor, activity, member_id, now, facts)
                    except DomainError as exc:
                        error = exc
                    record_id = _log(
                        kind=kind,
                        code=error.code if error else (ACCEPTED if outcome.created else REPEATED),
                        actor=actor,
                        member_id=member_id,
                        activity=activity,
                        where=where,
                        client=client,
                        now=now,
                        distance_m=facts["distance_m"],
                        new_record=facts.get("new_record"),
                        cursor=cursor,
                    )
            except _NeedsTransaction:
                in_transaction = True
                continue
            except IntegrityError:
                if retried:
                    raise
                retried = True
                continue
            if error is not None:
                raise error
            if record_id is not None:
                outcome.record = rawsql.loaded(AttendanceRecord, facts["new_record"], record_id)
            return outcome


def check_in(
    *,
    actor: User | registry_services.BearerKey,
    token: str,
    latitude,
    longitude,
    accuracy_m,
    client: ClientInfo | None = None,
) -> Outcome:
    """Check in at the venue during the check-in window. A repeated check-in returns the
    existing record unchanged. Refusals: invalid_token, cancelled, not_approved,
    not_on_roster, too_early, too_late, imprecise_location, out_of_range.

    The actor may be an API key not yet looked up (`BearerKey`): its holder is read with the
    activity, and InvalidApiKey raised (nothing logged) when no one holds it."""
    client = client or ClientInfo()
    where = position(latitude, longitude, accuracy_m)
    outcome = _attempt(
        AttemptKind.CHECK_IN,
        actor=actor,
        token=token,
        where=where,
        client=client,
        decide=lambda actor, activity, member_id, now, facts: _check_in(
            activity, member_id, where, client, now, facts
        ),
    )
    if outcome.created:
        _score_inputs_changed(outcome.record.activity_id, debounce=True)
    return outcome


def _check_in(activity, member_id, where, client, now, attempt) -> Outcome:
    _check_activity(activity, member_id, client, now)
    existing = None
    if activity.record_id is not None:
        existing = AttendanceRecord.objects.get(pk=activity.record_id)
        # Checked in already, or decided by a superior's correction: nothing changes.
        if existing.status in ATTENDED or existing.is_corrected:
            return Outcome(existing, created=False)
    if now < activity.checkin_opens_at:
        raise DomainError(
            "too_early",
            _("签到尚未开始，将于 %(at)s 开放。") % {"at": _when(activity.checkin_opens_at, now)},
            opens_at=_iso(activity.checkin_opens_at),
        )
    if now > activity.checkin_closes_at:
        raise DomainError(
            "too_late",
            _("签到已于 %(at)s 截止。") % {"at": _when(activity.checkin_closes_at, now)},
            closed_at=_iso(activity.checkin_closes_at),
        )
    distance = _check_position(activity, where, attempt)
    shared = bool(client.device_id and activity.device_shared)
    if existing is None:
        if shared:
            _flag_shared_device(activity.pk, client.device_id)
        # Written by _log together with the attempt, in the same statement; `_attempt` puts
        # the record in the outcome.
        attempt["new_record"] = {
            "activity_id": activity.pk,
            "member_id": member_id,
            "status": AttendanceStatus.CHECKED_IN,
            "checked_in_at": now,
            "checkin_distance_m": distance,
            "device_id": client.device_id,
            "is_device_shared": shared,
            "created_at": now,
            "updated_at": now,
        }
        return Outcome(None, created=True)
    # On approved leave and came all the same: present.
    _before_other_writes()
    AttendanceRecord.objects.filter(pk=existing.pk, status=AttendanceStatus.ON_LEAVE).update(
        status=AttendanceStatus.CHECKED_IN,
        checked_in_at=now,
        checkin_distance_m=distance,
        device_id=client.device_id,
        updated_at=now,
    )
    if shared:
        _flag_shared_device(activity.pk, client.device_id)
    existing.refresh_from_db()
    return Outcome(existing, created=True)


def _flag_shared_device(activity_id: int, device_id: str) -> None:
    """One phone checking in several members of one activity (`_target` found another
    member's record with this device id): all their records are flagged (this member's
    too, by the caller), and the superior sees it on the attendance pages and at closing."""
    _before_other_writes()
    AttendanceRecord.objects.filter(activity_id=activity_id, device_id=device_id).update(
        is_device_shared=True
    )


def check_out(
    *,
    actor: User | registry_services.BearerKey,
    token: str,
    latitude,
    longitude,
    accuracy_m,
    reflection: str,
    client: ClientInfo | None = None,
) -> Outcome:
    """Check out at the venue after the end, with a reflection (posted as the member's
    comment on the activity). A repeated check-out returns the record unchanged. Refusals:
    those of check-in, and not_checked_in, reflection_required."""
    client = client or ClientInfo()
    where = position(latitude, longitude, accuracy_m)
    outcome = _attempt(
        AttemptKind.CHECK_OUT,
        actor=actor,
        token=token,
        where=where,
        client=client,
        decide=lambda actor, activity, member_id, now, facts: _check_out(
            actor, activity, member_id, where, reflection, client, now, facts
        ),
    )
    if outcome.created:
        _score_inputs_changed(outcome.record.activity_id, debounce=True)
    return outcome


def _check_out(actor, activity, member_id, where, reflection, client, now, attempt) -> Outcome:
    _check_activity(activity, member_id, client, now)
    record = None
    if activity.record_id is not None:
        record = AttendanceRecord.objects.get(pk=activity.record_id)
        if record.status == AttendanceStatus.CHECKED_OUT:
            return Outcome(record, created=False)
    if record is None or record.status != AttendanceStatus.CHECKED_IN:
        raise DomainError("not_checked_in", _("你尚未签到，不能签退。"))
    if now < activity.ends_at:
        raise DomainError(
            "too_early",
            _("活动尚未结束，%(at)s 后才能签退。") % {"at": _when(activity.ends_at, now)},
            opens_at=_iso(activity.ends_at),
        )
    if now > activity.checkout_closes_at:
        raise DomainError(
            "too_late",
            _("签退已于 %(at)s 截止。") % {"at": _when(activity.checkout_closes_at, now)},
            closed_at=_iso(activity.checkout_closes_at),
        )
    reflection = (reflection or "").strip()
    if not reflection:
        raise DomainError("reflection_required", _("签退须填写心得体会。"), field="reflection")
    if len(reflection) > REFLECTION_MAX_CHARS:
        raise DomainError(
            "validation_error",
            _("心得体会不能超过 %d 个字") % REFLECTION_MAX_CHARS,
            field="reflection",
        )
    distance = _check_position(activity, where, attempt)
    with transaction.atomic():
        updated = AttendanceRecord.objects.filter(
            pk=record.pk, status=AttendanceStatus.CHECKED_IN
        ).update(
            status=AttendanceStatus.CHECKED_OUT,
            checked_out_at=now,
            checkout_distance_m=distance,
            updated_at=now,
        )
        # The reflection is the member's comment on the activity; a refused one (forbidden
        # words) refuses the check-out with it. Nothing updated: a concurrent check-out of
        # the same member won (the UPDATE waited for it), and posted its reflection.
        if updated:
            interaction.post_comment(
                actor=actor, activity=activity, body=reflection, is_reflection=True
            )
    record.refresh_from_db()
    return Outcome(record, created=bool(updated))


# Leave ---------------------------------------------------------------------------------------


def _roster_member(activity: Activity, member: Member | None) -> Member:
    if not roster.is_on_roster(activity, member):
        raise DomainError("not_on_roster", _("你不在本次活动的参加人员名单中。"))
    return member


def _live_activity(activity: Activity) -> None:
    if activity.status == ActivityStatus.CANCELLED:
        raise DomainError("cancelled", _("该活动已取消。"))
    if activity.status not in (ActivityStatus.APPROVED, ActivityStatus.CLOSED):
        raise DomainError("not_approved", _("该活动尚未通过审核。"))


@transaction.atomic
def request_leave(*, actor: User, activity: Activity, reason: str) -> LeaveRequest:
    """A roster member asks to be excused, with a reason, before the start."""
    permissions.require(actor, Action.READ, activity)
    _live_activity(activity)
    member = _roster_member(activity, permissions.own_member(actor))
    if clock.now() >= activity.starts_at:
        raise DomainError("start_passed", _("活动已开始，不能再请假。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("请假须说明原因。"), field="reason")
    if len(reason) > 300:
        raise DomainError("validation_error", _("请假原因不能超过300个字"), field="reason")
    try:
        with transaction.atomic():
            leave = LeaveRequest.objects.create(
                activity=activity, member=member, reason=reason, requested_at=clock.now()
            )
    except IntegrityError as exc:
        raise DomainError("leave_exists", _("你已提交过本次活动的请假申请。")) from exc
    notifications.notify(
        user_ids=themedays_selectors.branch_admin_user_ids(activity.branch),
        kind="leave_requested",
        title=_("请假申请：%(name)s（%(title)s）") % {"name": member.name, "title": activity.title},
        body=reason,
        link=f"/console/activities/{activity.pk}/attendance/",
    )
    return leave


def _locked_leave(leave: LeaveRequest) -> LeaveRequest:
    return (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("activity__branch", "member")
        .get(pk=leave.pk)
    )


@transaction.atomic
def approve_leave(*, actor: User, leave: LeaveRequest) -> LeaveRequest:
    """The branch excuses the member, before the start: shown as `on_leave`."""
    permissions.require(actor, Action.CHANGE, leave)
    leave = _locked_leave(leave)
    activity = leave.activity
    if leave.status != RequestStatus.PENDING:
        raise DomainError("invalid_status", _("该请假申请已处理。"))
    _live_activity(activity)
    now = clock.now()
    if now >= activity.starts_at:
        raise DomainError("start_passed", _("活动已开始，不能再批准请假。"))
    leave.status = RequestStatus.APPROVED
    leave.decided_by = actor
    leave.decided_at = now
    leave.save(update_fields=["status", "decided_by", "decided_at"])
    record, created = AttendanceRecord.objects.get_or_create(
        activity=activity,
        member=leave.member,
        defaults={
            "status": AttendanceStatus.ON_LEAVE,
            "leave": leave,
            "created_at": now,
            "updated_at": now,
        },
    )
    # Already checked in (the window opens before the start): they are here, keep that.
    if created:
        _score_inputs_changed(activity.pk)
    audit.record(
        actor=actor,
        action="attendance.leave_approve",
        obj=leave,
        org=activity.branch,
        label=f"{activity.title}：{leave.member.name}",
        before={"status": RequestStatus.PENDING},
        after={"status": leave.status, "member_id": leave.member_id, "on_leave": created},
    )
    notifications.notify(
        user_ids=[leave.member.user_id],
        kind="leave_approved",
        title=_("请假已批准：%s") % activity.title,
        link="/m/",
    )
    return leave


@transaction.atomic
def refuse_leave(*, actor: User, leave: LeaveRequest, note: str = "") -> LeaveRequest:
    permissions.require(actor, Action.CHANGE, leave)
    leave = _locked_leave(leave)
    if leave.status != RequestStatus.PENDING:
        raise DomainError("invalid_status", _("该请假申请已处理。"))
    leave.status = RequestStatus.REFUSED
    leave.decided_by = actor
    leave.decided_at = clock.now()
    leave.decision_note = (note or "").strip()[:300]
    leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=actor,
        action="attendance.leave_refuse",
        obj=leave,
        org=leave.activity.branch,
        label=f"{leave.activity.title}：{leave.member.name}",
        before={"status": RequestStatus.PENDING},
        after={"status": leave.status, "member_id": leave.member_id, "note": leave.decision_note},
    )
    notifications.notify(
        user_ids=[leave.member.user_id],
        kind="leave_refused",
        title=_("请假未获批准：%s") % leave.activity.title,
        body=leave.decision_note,
        link="/m/",
    )
    return leave


# Corrections ---------------------------------------------------------------------------------


@transaction.atomic
def propose_correction(
    *, actor: User, activity: Activity, member: Member, to_status: str, reason: str
) -> Correction:
    """An admin of the branch proposes to set one member's attendance by hand, with a
    reason. Nothing changes until a superior approves."""
    permissions.require(actor, Action.CHANGE, activity)
    _live_activity(activity)
    if clock.now() < activity.starts_at:
        raise DomainError("not_started", _("活动尚未开始，无需更正考勤。"))
    if to_status not in STORED_STATUSES:
        raise DomainError("validation_error", _("更正后的状态无效"), field="to_status")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("更正考勤须说明原因。"), field="reason")
    if activity.roster_frozen_at is None:
        themedays_services.freeze_roster(activity=activity)
        activity.refresh_from_db(fields=["roster_frozen_at"])
    if not RosterEntry.objects.filter(activity=activity, member=member).exists():
        raise DomainError("not_on_roster", _("该党员不在本次活动的参加人员名单中。"))
    record = AttendanceRecord.objects.filter(activity=activity, member=member).first()
    current = record.status if record else AttendanceStatus.PENDING
    if current == to_status:
        raise DomainError("no_change", _("该党员的考勤已是此状态。"), field="to_status")
    try:
        with transaction.atomic():
            correction = Correction.objects.create(
                activity=activity,
                member=member,
                to_status=to_status,
                from_status=current,
                reason=reason[:300],
                proposed_by=actor,
                proposed_at=clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError("correction_exists", _("该党员已有待审批的考勤更正。")) from exc
    audit.record(
        actor=actor,
        action="attendance.correction_propose",
        obj=correction,
        org=activity.branch,
        label=f"{activity.title}：{member.name}",
        after={"member_id": member.pk, "from": current, "to": to_status, "reason": reason},
    )
    notifications.notify(
        user_ids=themedays_selectors.reviewer_user_ids(activity.branch),
        kind="correction_proposed",
        title=_("考勤更正待审批：%(name)s（%(title)s）")
        % {"name": member.name, "title": activity.title},
        body=reason,
        link="/console/attendance/",
    )
    return correction


def _locked_correction(correction: Correction) -> Correction:
    return (
        Correction.objects.select_for_update(of=("self",))
        .select_related("activity__branch", "member")
        .get(pk=correction.pk)
    )


@transaction.atomic
def approve_correction(*, actor: User, correction: Correction) -> Correction:
    """A superior's admin approves: the record takes the corrected status, flagged."""
    permissions.require(actor, Action.REVIEW, correction)
    correction = _locked_correction(correction)
    if correction.status != RequestStatus.PENDING:
        raise DomainError("invalid_status", _("该考勤更正已处理。"))
    if correction.proposed_by_id == actor.pk:
        raise DomainError("self_approval", _("不能审批自己提出的考勤更正。"))
    now = clock.now()
    correction.status = RequestStatus.APPROVED
    correction.decided_by = actor
    correction.decided_at = now
    correction.save(update_fields=["status", "decided_by", "decided_at"])
    record, created = AttendanceRecord.objects.select_for_update().get_or_create(
        activity_id=correction.activity_id,
        member_id=correction.member_id,
        defaults={"status": correction.to_status, "created_at": now, "updated_at": now},
    )
    before = AttendanceStatus.PENDING if created else record.status
    record.status = correction.to_status
    record.correction = correction
    record.is_corrected = True
    record.updated_at = now
    record.save(update_fields=["status", "correction", "is_corrected", "updated_at"])
    activity = correction.activity
    _score_inputs_changed(activity.pk)
    audit.record(
        actor=actor,
        action="attendance.correction_approve",
        obj=correction,
        org=activity.branch,
        label=f"{activity.title}：{correction.member.name}",
        before={"status": before},
        after={"status": record.status, "member_id": correction.member_id, "corrected": True},
    )
    if correction.proposed_by_id:
        notifications.notify(
            user_ids=[correction.proposed_by_id],
            kind="correction_approved",
            title=_("考勤更正已批准：%(name)s（%(title)s）")
            % {"name": correction.member.name, "title": activity.title},
            link=f"/console/activities/{activity.pk}/attendance/",
        )
    return correction


@transaction.atomic
def refuse_correction(*, actor: User, correction: Correction, note: str) -> Correction:
    permissions.require(actor, Action.REVIEW, correction)
    note = (note or "").strip()
    if not note:
        raise DomainError("reason_required", _("不批准须说明原因。"), field="note")
    correction = _locked_correction(correction)
    if correction.status != RequestStatus.PENDING:
        raise DomainError("invalid_status", _("该考勤更正已处理。"))
    correction.status = RequestStatus.REFUSED
    correction.decided_by = actor
    correction.decided_at = clock.now()
    correction.decision_note = note[:300]
    correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    activity = correction.activity
    audit.record(
        actor=actor,
        action="attendance.correction_refuse",
        obj=correction,
        org=activity.branch,
        label=f"{activity.title}：{correction.member.name}",
        before={"status": RequestStatus.PENDING},
        after={"status": correction.status, "note": correction.decision_note},
    )
    if correction.proposed_by_id:
        notifications.notify(
            user_ids=[correction.proposed_by_id],
            kind="correction_refused",
            title=_("考勤更正未获批准：%(name)s（%(title)s）")
            % {"name": correction.member.name, "title": activity.title},
            body=correction.decision_note,
            link=f"/console/activities/{activity.pk}/attendance/",
        )
    return correction


# Rotating QR ---------------------------------------------------------------------------------


@transaction.atomic
def set_rotating_qr(*, actor: User, activity: Activity, enabled: bool) -> RotatingQR:
    """Turn rotating-QR mode on or off. While on, only the code shown on the screen (the
    current or previous 30-second code) is accepted; printed posters stop working."""
    permissions.require(actor, Action.CHANGE, activity)
    if enabled and activity.status != ActivityStatus.APPROVED:
        raise DomainError("not_approved", _("活动尚未通过审核"))
    now = clock.now()
    setting, _created = RotatingQR.objects.select_for_update().get_or_create(
        activity=activity,
        defaults={"secret": secrets.token_urlsafe(32), "updated_at": now, "updated_by": actor},
    )
    before = setting.is_enabled
    if enabled and not before:
        # A fresh secret each time: codes from an earlier session never come back.
        setting.secret = secrets.token_urlsafe(32)
    setting.is_enabled = enabled
    setting.updated_by = actor
    setting.updated_at = now
    setting.save(update_fields=["is_enabled", "secret", "updated_by", "updated_at"])
    audit.record(
        actor=actor,
        action="attendance.rotating_qr",
        obj=activity,
        org=activity.branch,
        before={"rotating_qr": before},
        after={"rotating_qr": enabled},
    )
    return setting


# Closing -------------------------------------------------------------------------------------


def close_activity(*, activity: Activity) -> dict | None:
    """Close an activity whose check-out window has ended (the scheduler calls this):
    roster members without a check-in become `absent`, those checked in but not out
    `not_checked_out`. Idempotent: closing a closed activity changes nothing (None)."""
    with transaction.atomic():
        return _close(activity)


def _close(activity: Activity) -> dict | None:
    activity = (
        Activity.objects.select_for_update(of=("self",))
        .select_related("branch")
        .get(pk=activity.pk)
    )
    now = clock.now()
    if activity.status != ActivityStatus.APPROVED or now < activity.checkout_closes_at:
        return None
    if activity.roster_frozen_at is None:
        themedays_services.freeze_roster(activity=activity)
    not_out = AttendanceRecord.objects.filter(
        activity=activity, status=AttendanceStatus.CHECKED_IN
    ).update(status=AttendanceStatus.NOT_CHECKED_OUT, updated_at=now)
    missing = RosterEntry.objects.filter(activity=activity).exclude(
        member_id__in=AttendanceRecord.objects.filter(activity=activity).values("member_id")
    )
    absent = [
        AttendanceRecord(
            activity=activity,
            member_id=member_id,
            status=AttendanceStatus.ABSENT,
            created_at=now,
            updated_at=now,
        )
        for member_id in missing.values_list("member_id", flat=True)
    ]
    AttendanceRecord.objects.bulk_create(absent, batch_size=2000, ignore_conflicts=True)
    activity.status = ActivityStatus.CLOSED
    activity.closed_at = activity.updated_at = now
    activity.save(update_fields=["status", "closed_at", "updated_at"])
    ActivityEvent.objects.create(
        activity=activity,
        action="close",
        from_status=ActivityStatus.APPROVED,
        to_status=ActivityStatus.CLOSED,
        actor=None,
        at=now,
    )
    # Check-ins flag a shared phone as they come, but two at the same instant cannot see
    # each other: closing flags every phone that checked in several members, whatever the
    # timing.
    phones = (
        AttendanceRecord.objects.filter(activity=activity)
        .exclude(device_id="")
        .values("device_id")
        .annotate(members=Count("member_id", distinct=True))
        .filter(members__gt=1)
        .values("device_id")
    )
    AttendanceRecord.objects.filter(
        activity=activity, device_id__in=phones, is_device_shared=False
    ).update(is_device_shared=True)
    shared = AttendanceRecord.objects.filter(activity=activity, is_device_shared=True).count()
    summary = {"absent": len(absent), "not_checked_out": not_out, "shared_device_records": shared}
    _score_inputs_changed(activity.pk)
    audit.record(
        actor=None,
        action="activity.close",
        obj=activity,
        org=activity.branch,
        before={"status": ActivityStatus.APPROVED},
        after={"status": ActivityStatus.CLOSED, **summary},
    )
    if shared:
        notifications.notify(
            user_ids=themedays_selectors.reviewer_user_ids(activity.branch),
            kind="attendance_shared_device",
            title=_("考勤异常：%s") % activity.title,
            body=_("有 %d 条签到记录来自同一部手机为多名党员签到，请核查。") % shared,
            link=f"/console/activities/{activity.pk}/attendance/",
        )
    return summary


def close_due_activities() -> int:
    """Scheduled: close every approved activity whose check-out window has ended. Each in
    its own transaction; running it again (or late) closes nothing twice."""
    now = clock.now()
    # The window's length differs per activity: narrow in SQL by the end, decide in Python.
    candidates = Activity.objects.filter(status=ActivityStatus.APPROVED, ends_at__lte=now).only(
        "id", "ends_at", "checkout_closes_after_min"
    )
    closed = 0
    for activity in list(candidates):
        if activity.checkout_closes_at <= now and close_activity(activity=activity) is not None:
            closed += 1
    return closed


def parse_client_time(value) -> str:
    """The phone's clock as it sent it, for the log only (an unparsable value is kept as
    text: it is evidence, not input)."""
    if not value:
        return ""
    parsed = parse_datetime(str(value)[:40])
    return parsed.isoformat() if parsed else str(value)[:40]
