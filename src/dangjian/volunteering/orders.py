"""A citizen's order from submission to publication (群众点单, 社区下单): submitting it with
photos, the community's review (publish or decline), cancelling it, and what the scheduled
jobs do to it (escalating an order nobody claims, flagging one not started by the end of
its window, expiring one nobody claimed at all).

Every change of state is checked with `rules.may_move`, moves the row with an UPDATE
conditioned on the state it was read in (a claim or a job moving it meanwhile makes the
loser see the new state, never overwrite it), and writes an `OrderEvent`
(`order_steps.transition`); what an admin does is audited in the same transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock, coords
from dangjian.core.errors import DomainError
from dangjian.core.locking import locked
from dangjian.core.text import checked_text
from dangjian.interaction import images
from dangjian.notifications.services import notify
from dangjian.permissions import Action
from dangjian.registry.models import Organization, User
from dangjian.volunteering import people_rules, rules
from dangjian.volunteering.models import (
    ClaimState,
    Order,
    OrderPhoto,
    OrderPhotoKind,
    OrderState,
    ServiceCategory,
)
from dangjian.volunteering.order_steps import (
    REASON_MAX_CHARS,
    record_event,
    required_reason,
    tell_admins,
    tell_requester,
    transition,
)

DESCRIPTION_MAX_CHARS = 1000
ADDRESS_MAX_CHARS = 200
MAX_PHOTOS = 6
MAX_SKILLS = people_rules.MAX_SKILLS
# How far ahead a citizen may ask, and how long a window may be: a wish for a day within
# the next two months, not a standing arrangement.
MAX_LEAD = timedelta(days=60)
MAX_WINDOW = timedelta(days=14)
MIN_WINDOW = timedelta(minutes=30)


# Rules -----------------------------------------------------------------------------------


def window_problem(now: datetime, wanted_from: datetime, wanted_until: datetime) -> str | None:
    """Why a wanted time window cannot be accepted (a message), or None when it can: it
    starts in the future, within MAX_LEAD, and lasts from MIN_WINDOW to MAX_WINDOW."""
    if wanted_from <= now:
        return _("期望开始时间应晚于现在")
    if wanted_until <= wanted_from:
        return _("期望结束时间应晚于开始时间")
    if wanted_from - now > MAX_LEAD:
        return _("期望时间最多提前 60 天")
    if wanted_until - wanted_from < MIN_WINDOW:
        return _("期望时间段至少 30 分钟")
    if wanted_until - wanted_from > MAX_WINDOW:
        return _("期望时间段最长 14 天")
    return None


def escalation_due(
    *, now: datetime, published_at: datetime, escalated_at: datetime | None, after: timedelta
) -> bool:
    """An unclaimed published order escalates once `after` has passed since it was
    published, or since its last escalation."""
    return now - (escalated_at or published_at) >= after


# Photos ----------------------------------------------------------------------------------


@dataclass
class StoredPhoto:
    """A processed photo already in storage, waiting for its row."""

    image: str
    thumbnail: str
    width: int
    height: int
    size: int


def store_photos(files: Iterable) -> list[StoredPhoto]:
    """Process each upload as activity photos are (`interaction.images.store_upload`:
    sniffed, size- and pixel-limited, re-encoded without metadata, thumbnailed) and store
    it. Runs before the transaction that writes the rows; if a later one is refused, the
    earlier files go."""
    stored: list[StoredPhoto] = []
    try:
        for file in files:
            kept = images.store_upload(file, folder="volunteering")
            stored.append(
                StoredPhoto(
                    image=kept.image,
                    thumbnail=kept.thumbnail,
                    width=kept.processed.width,
                    height=kept.processed.height,
                    size=len(kept.processed.image),
                )
            )
    except Exception:
        discard_photos(stored)
        raise
    return stored


def discard_photos(stored: Iterable[StoredPhoto]) -> None:
    for photo in stored:
        for name in (photo.image, photo.thumbnail):
            default_storage.delete(name)


def attach_photos(
    *, order: Order, stored: list[StoredPhoto], kind: str, actor: User, now: datetime
) -> list[OrderPhoto]:
    """The rows of photos stored with `store_photos`, inside the caller's transaction."""
    return OrderPhoto.objects.bulk_create(
        [
            OrderPhoto(
                order=order,
                kind=kind,
                uploaded_by=actor,
                image=p.image,
                thumbnail=p.thumbnail,
                width=p.width,
                height=p.height,
                size=p.size,
                created_at=now,
            )
            for p in stored
        ]
    )


def _too_many_photos() -> DomainError:
    return DomainError("too_many_photos", _("每个需求最多上传 %d 张照片") % MAX_PHOTOS)


# Events and notices ----------------------------------------------------------------------


def _tell_volunteers(order: Order) -> None:
    """Every member the order now reaches, once per order: after an escalation only those
    newly reached get it."""
    notify(
        user_ids=permissions.volunteer_user_ids(order.reach.path),
        kind="volunteer_order_published",
        title=_("新的志愿服务需求：%s") % order.category.name,
        body=f"{order.address} · {localtime(order.wanted_from):%m-%d %H:%M}",
        link=f"/m/volunteer/orders/{order.pk}/",
        dedupe_key=f"volunteer-order-{order.pk}-published",
    )


# Submitting ------------------------------------------------------------------------------


def _position(latitude, longitude, coord_system: str) -> tuple[Decimal | None, Decimal | None]:
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        raise DomainError("invalid_position", _("位置需同时包含经度和纬度"), field="latitude")
    lat, lon = coords.to_wgs84(float(latitude), float(longitude), coord_system or coords.WGS84)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("invalid_position", _("位置坐标无效"), field="latitude")
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def submit_order(
    *,
    actor: User,
    category: ServiceCategory,
    description: str,
    address: str,
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
    coord_system: str = coords.WGS84,
    wanted_from: datetime,
    wanted_until: datetime,
    photos: Iterable = (),
) -> Order:
    """A citizen orders a service from their community's menu. The position, if given, is
    brought to WGS-84 from the system it was taken in; the photos are processed before the
    transaction."""
    citizen = permissions.own_citizen(actor)
    if citizen is None:
        raise DomainError("not_a_citizen", _("只有群众账号可以提交服务需求"))
    community = citizen.community
    if not (category.is_active and rules.on_menu(category.org.path, community_path=community.path)):
        raise DomainError("not_on_menu", _("该服务不在您所在社区的服务菜单中"), field="category")
    description = checked_text((description or "").strip(), field="description")
    if not description:
        raise DomainError("required", _("请描述您的需求"), field="description")
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise DomainError(
            "too_long", _("需求描述不能超过 %d 个字") % DESCRIPTION_MAX_CHARS, field="description"
        )
    address = checked_text((address or "").strip(), field="address") or citizen.address
    if len(address) > ADDRESS_MAX_CHARS:
        raise DomainError(
            "too_long", _("地址不能超过 %d 个字") % ADDRESS_MAX_CHARS, field="address"
        )
    lat, lon = _position(latitude, longitude, coord_system)
    now = clock.now()
    problem = window_problem(now, wanted_from, wanted_until)
    if problem:
        raise DomainError("invalid_window", problem, field="wanted_from")
    files = list(photos)
    if len(files) > MAX_PHOTOS:
        raise _too_many_photos()
    stored = store_photos(files)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                requester=citizen,
                community=community,
                reach=community,
                category=category,
                description=description,
                address=address,
                latitude=lat,
                longitude=lon,
                wanted_from=wanted_from,
                wanted_until=wanted_until,
                volunteers_needed=1,
                skills=list(category.skills),
                state=OrderState.SUBMITTED,
                created_at=now,
                updated_at=now,
            )
            record_event(order, from_state="", to_state=OrderState.SUBMITTED, actor=actor, now=now)
            attach_photos(
                order=order, stored=stored, kind=OrderPhotoKind.REQUEST, actor=actor, now=now
            )
            tell_admins(
                community,
                order,
                title=_("新的群众服务需求待审核：%s") % category.name,
                body=description[:100],
            )
    except Exception:
        discard_photos(stored)
        raise
    return order


def add_request_photos(*, actor: User, order: Order, photos: Iterable) -> list[OrderPhoto]:
    """More photos of the need, from the requester, while the order awaits review."""
    if not permissions.is_requester(actor, order):
        raise DomainError("not_the_requester", _("只有提交需求的群众可以上传需求照片"))
    files = list(photos)
    if not files:
        raise DomainError("required", _("请选择照片"), field="file")
    stored = store_photos(files)
    try:
        with transaction.atomic():
            order = locked(order, "community", "reach", "category", "requester")
            if order.state != OrderState.SUBMITTED:
                raise DomainError("not_submitted", _("需求审核后不能再补充照片"), state=order.state)
            count = OrderPhoto.objects.filter(order=order, kind=OrderPhotoKind.REQUEST).count()
            if count + len(stored) > MAX_PHOTOS:
                raise _too_many_photos()
            return attach_photos(
                order=order,
                stored=stored,
                kind=OrderPhotoKind.REQUEST,
                actor=actor,
                now=clock.now(),
            )
    except Exception:
        discard_photos(stored)
        raise


# Reviewing -------------------------------------------------------------------------------


def _reviewable(actor: User, order: Order, to_state: str) -> Order:
    permissions.require(actor, Action.REVIEW, order)
    order = locked(order, "community", "reach", "category", "requester")
    # Review is of a submitted order only: a claimed order moves back to published too,
    # when its last claim is released, which is no review.
    if order.state != OrderState.SUBMITTED or not rules.may_move(order.state, to_state):
        raise DomainError("not_submitted", _("该需求已审核过"), state=order.state)
    return order


@transaction.atomic
def publish_order(
    *,
    actor: User,
    order: Order,
    volunteers_needed: int,
    skills: Iterable[str] | str,
    note: str = "",
) -> Order:
    """The community's admin accepts the order and publishes it to the members reporting
    to the community, who are told (and the requester)."""
    order = _reviewable(actor, order, OrderState.PUBLISHED)
    if not 1 <= volunteers_needed <= 50:
        raise DomainError(
            "invalid_volunteers_needed", _("所需志愿者人数应为 1–50"), field="volunteers_needed"
        )
    skills = people_rules.clean_skills(skills)
    note = checked_text((note or "").strip(), field="note")[:REASON_MAX_CHARS]
    now = clock.now()
    if order.wanted_until <= now:
        raise DomainError("window_passed", _("需求的期望时间已过，不能发布"))
    transition(
        order,
        OrderState.PUBLISHED,
        expected=OrderState.SUBMITTED,
        actor=actor,
        now=now,
        note=note,
        volunteers_needed=volunteers_needed,
        skills=skills,
        reviewed_by=actor,
        published_at=now,
    )
    audit.record(
        actor=actor,
        action="volunteer_order.publish",
        obj=order,
        org=order.community,
        after={"volunteers_needed": volunteers_needed, "skills": skills, "note": note},
    )
    tell_requester(
        order,
        title=_("您的服务需求已发布：%s") % order.category.name,
        body=_("正在等待志愿者接单。"),
    )
    _tell_volunteers(order)
    return order


@transaction.atomic
def decline_order(*, actor: User, order: Order, reason: str) -> Order:
    """The community's admin declines the order with a reason that only the requester (and
    the admins) see."""
    order = _reviewable(actor, order, OrderState.DECLINED)
    reason = required_reason(reason)
    now = clock.now()
    # The event's note stays empty: the reason lives on the order, shown only to those
    # who may see it (permissions.may_see_decline_reason).
    transition(
        order,
        OrderState.DECLINED,
        expected=OrderState.SUBMITTED,
        actor=actor,
        now=now,
        decline_reason=reason,
        reviewed_by=actor,
    )
    audit.record(
        actor=actor,
        action="volunteer_order.decline",
        obj=order,
        org=order.community,
        after={"reason": reason},
    )
    tell_requester(order, title=_("您的服务需求未通过审核：%s") % order.category.name, body=reason)
    return order


@transaction.atomic
def cancel_order(*, actor: User, order: Order, reason: str) -> Order:
    """The requester withdraws the order before its service starts, or an admin over the
    community cancels it. Live claims are released and their volunteers told."""
    requester = permissions.is_requester(actor, order)
    is_admin = permissions.is_admin_over(actor, order.community)
    if not (requester or is_admin):
        permissions.require(actor, Action.READ, order)
        raise DomainError("not_the_requester", _("只有提交需求的群众或社区管理员可以取消"))
    reason = required_reason(reason)
    order = locked(order, "community", "reach", "category", "requester")
    if not rules.may_move(order.state, OrderState.CANCELLED):
        raise DomainError(
            "not_cancellable", _("服务已开始或需求已结束，不能取消"), state=order.state
        )
    now = clock.now()
    before = order.state
    claims = order.claims.exclude(state=ClaimState.RELEASED).select_related("member")
    claimant_ids = [c.member.user_id for c in claims]
    claims.update(state=ClaimState.RELEASED, released_at=now)
    transition(
        order,
        OrderState.CANCELLED,
        expected=before,
        actor=actor,
        now=now,
        note=reason,
        cancel_reason=reason,
        claimed_count=0,
    )
    if is_admin and not requester:
        audit.record(
            actor=actor,
            action="volunteer_order.cancel",
            obj=order,
            org=order.community,
            before={"state": before},
            after={"reason": reason},
        )
        tell_requester(
            order, title=_("您的服务需求已被取消：%s") % order.category.name, body=reason
        )
    else:
        tell_admins(
            order.community,
            order,
            title=_("群众已取消服务需求：%s") % order.category.name,
            body=reason,
        )
    notify(
        user_ids=claimant_ids,
        kind="volunteer_order",
        title=_("您认领的服务需求已取消：%s") % order.category.name,
        body=reason,
        link="/m/volunteer/claims/",
    )
    return order


# Scheduled: escalation, overdue, expiry --------------------------------------------------


def escalate_unclaimed(limit: int = 500) -> int:
    """Published orders nobody claimed within VOLUNTEER_ESCALATE_AFTER_HOURS of their
    publication (or last escalation) reach one level up (rules.escalation_path): the town
    or street, then the county, and no further. Idempotent: an order just escalated waits
    the whole period again. Returns how many escalated."""
    now = clock.now()
    after = timedelta(hours=settings.VOLUNTEER_ESCALATE_AFTER_HOURS)
    candidates = (
        Order.objects.filter(
            state=OrderState.PUBLISHED,
            claimed_count=0,
            wanted_until__gt=now,
            reach__depth__gt=rules.COUNTY_DEPTH,
            published_at__lte=now - after,
        )
        .exclude(escalated_at__gt=now - after)
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_escalate(pk, now=now, after=after) for pk in list(candidates))


@transaction.atomic
def _escalate(pk: int, *, now: datetime, after: timedelta) -> bool:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("reach", "category", "requester", "community")
        .get(pk=pk)
    )
    if (
        order.state != OrderState.PUBLISHED
        or order.claimed_count
        or not escalation_due(
            now=now, published_at=order.published_at, escalated_at=order.escalated_at, after=after
        )
    ):
        return False
    target_path = rules.escalation_path(order.reach.path)
    if target_path is None:
        return False
    target = Organization.objects.get(path=target_path)
    previous = order.reach
    note = _("无人接单，已升级至%s") % target.name
    transition(
        order,
        OrderState.PUBLISHED,
        expected=OrderState.PUBLISHED,
        actor=None,
        now=now,
        note=note,
        reach=target,
        escalation_level=order.escalation_level + 1,
        escalated_at=now,
    )
    audit.record(
        actor=None,
        action="volunteer_order.escalate",
        obj=order,
        org=order.community,
        before={"reach": previous.pk},
        after={"reach": target.pk, "level": order.escalation_level},
    )
    tell_admins(
        target,
        order,
        title=_("服务需求无人接单，已升级至本级：%s") % order.category.name,
        body=note,
    )
    tell_requester(order, title=_("您的服务需求已扩大发布范围"), body=note)
    _tell_volunteers(order)
    return True


def flag_overdue(limit: int = 500) -> int:
    """Accepted orders (published or claimed) whose window ended before the service
    started are flagged for the community's admins; those nobody claimed at all expire and
    their requester is told (also one flagged while claimed whose volunteers all released
    it afterwards). Idempotent: a flagged order is left alone unless it is to expire.
    Returns how many were flagged or expired."""
    now = clock.now()
    due = (
        Order.objects.filter(state__in=rules.OPEN_FOR_CLAIMS, wanted_until__lte=now)
        .filter(Q(is_overdue=False) | Q(claimed_count=0))
        .order_by("wanted_until", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_flag_overdue(pk, now=now) for pk in list(due))


@transaction.atomic
def _flag_overdue(pk: int, *, now: datetime) -> bool:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("community", "category", "requester")
        .get(pk=pk)
    )
    if order.state not in rules.OPEN_FOR_CLAIMS or order.wanted_until > now:
        return False
    before, flagged = order.state, order.is_overdue
    if order.claimed_count == 0 and rules.may_move(before, OrderState.EXPIRED):
        note = _("期望时间已过，无人接单，需求已过期")
        transition(
            order,
            OrderState.EXPIRED,
            expected=before,
            actor=None,
            now=now,
            note=note,
            is_overdue=True,
        )
        tell_requester(order, title=_("您的服务需求已过期：%s") % order.category.name, body=note)
    elif not flagged:
        Order.objects.filter(pk=order.pk).update(is_overdue=True, updated_at=now)
        order.is_overdue = True
        note = _("期望时间已过，服务尚未开始")
        record_event(order, from_state=before, to_state=before, actor=None, now=now, note=note)
    else:
        return False
    audit.record(
        actor=None,
        action="volunteer_order.overdue",
        obj=order,
        org=order.community,
        after={"state": order.state},
    )
    if not flagged:
        tell_admins(
            order.community,
            order,
            title=_("服务需求逾期未开始：%s") % order.category.name,
            body=note,
        )
    return True
