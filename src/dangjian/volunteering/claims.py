"""Members taking up a published order (党员接单) and doing the service: claiming a place,
releasing it before the start, signing in and out at the place, an admin's recorded times
where signing was impossible (and make-up entries after the fact, approved by a second
admin), completion with evidence, the citizen's confirmation and rating, and the job that
closes orders left unrated.

Capacity: `Order.claimed_count` is raised by one UPDATE conditioned on a free place and an
open state, in the transaction that inserts the claim. Concurrent claims queue on the
order's row lock and each re-reads the count it conditions on, so N places give exactly N
claims; the losers get `order_full`. The unique constraint on live claims turns a second
claim of the same member into `already_claimed`."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.attendance import checkin, geo
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.text import checked_text
from dangjian.notifications.services import notify
from dangjian.registry.models import User
from dangjian.volunteering import hours, rules
from dangjian.volunteering.models import (
    Claim,
    ClaimState,
    Order,
    OrderPhotoKind,
    OrderState,
)

# REASON_MAX_CHARS stays importable from here: the API's fields are limited by it.
from dangjian.volunteering.order_steps import (
    REASON_MAX_CHARS as REASON_MAX_CHARS,
)
from dangjian.volunteering.order_steps import (
    record_event,
    required_reason,
    tell_admins,
    tell_requester,
    transition,
)

# Signing in opens this long before the wanted window (a volunteer arriving early).
SIGN_IN_OPENS_BEFORE = timedelta(hours=1)
# Completed orders the citizen leaves unrated close themselves after this long.
UNRATED_CLOSE_AFTER = timedelta(days=7)
NOTE_MAX_CHARS = 1000
COMMENT_MAX_CHARS = 500
LIVE = (ClaimState.CLAIMED, ClaimState.SIGNED_IN, ClaimState.SIGNED_OUT)


def _volunteer(actor: User):
    member = permissions.own_member(actor)
    if member is None:
        raise DomainError("forbidden", _("只有在册党员可以接单。"))
    return member


def _own_claim(actor: User, claim: Claim) -> None:
    """Acting on a claim (release, sign in, sign out) is its volunteer's alone."""
    if claim.member.user_id != actor.pk:
        raise permissions.forbidden()


def _admin_over(actor: User, order: Order) -> None:
    if not permissions.is_admin_over(actor, order.community):
        raise permissions.forbidden()


# Claiming ----------------------------------------------------------------------------------


def claim_order(*, actor: User, order: Order) -> Claim:
    """Take one of the order's places. Refused: the requester's own order (`own_order`: a
    person may be both citizen and member), an order not open for claims (`not_claimable`),
    one that does not reach the member (`forbidden`), a second live claim
    (`already_claimed`), no place left (`order_full`)."""
    member = _volunteer(actor)
    if order.requester.user_id == actor.pk:
        raise DomainError("own_order", _("不能认领自己提出的需求。"))
    if order.state not in rules.OPEN_FOR_CLAIMS:
        raise _not_claimable()
    if not permissions.order_reaches_volunteer(actor, order):
        raise permissions.forbidden()
    if order.claimed_count >= order.volunteers_needed:
        # Full when it was read a moment ago: most of a rush's claims end here, without a
        # transaction. The UPDATE below is what holds the capacity.
        raise _order_full()
    now = clock.now()
    with transaction.atomic():
        taken = Order.objects.filter(
            pk=order.pk,
            state__in=rules.OPEN_FOR_CLAIMS,
            claimed_count__lt=F("volunteers_needed"),
        ).update(claimed_count=F("claimed_count") + 1, updated_at=now)
        if not taken:
            state = Order.objects.values_list("state", flat=True).get(pk=order.pk)
            if state not in rules.OPEN_FOR_CLAIMS:
                raise _not_claimable()
            raise _order_full()
        try:
            # No savepoint: a refusal here rolls the whole transaction back, the place too.
            claim = Claim.objects.create(order=order, member=member, claimed_at=now)
        except IntegrityError:
            raise DomainError("already_claimed", _("你已认领该需求。")) from None
        # This transaction holds the order's row since its UPDATE: only the first claim
        # finds it published.
        if transition(
            order, OrderState.CLAIMED, expected=OrderState.PUBLISHED, actor=actor, now=now
        ):
            tell_requester(order, title=_("您的需求已有志愿者接单：%s") % order.category.name)
    claim.order = order
    claim.member = member
    return claim


def _order_full() -> DomainError:
    return DomainError("order_full", _("该需求的志愿者名额已满。"))


def _not_claimable() -> DomainError:
    return DomainError("not_claimable", _("该需求当前不接受认领。"))


def release_claim(*, actor: User, claim: Claim) -> Claim:
    """Give the place back before the start: the order returns to the pool (published again
    when no claim is left), and the requester and the community's admins are told."""
    _own_claim(actor, claim)
    if clock.now() >= claim.order.wanted_from:
        raise DomainError("start_passed", _("服务已开始，不能退单；如有变化请联系社区。"))
    title = _("志愿者%(name)s退出了需求：%(what)s") % {
        "name": claim.member.name,
        "what": claim.order.category.name,
    }
    return _give_back(actor=actor, claim=claim, action="volunteer_claim.release", title=title)


def remove_claim(*, actor: User, claim: Claim, reason: str) -> Claim:
    """An admin over the order's community takes back the place of a volunteer who never
    came (a claim not signed in), before or after the start, with a reason: the place
    returns to the pool, the order can be completed by those who served, and the volunteer,
    the requester and the community's admins are told."""
    _admin_over(actor, claim.order)
    reason = required_reason(reason)
    title = _("志愿者%(name)s的接单已由社区撤销：%(what)s") % {
        "name": claim.member.name,
        "what": claim.order.category.name,
    }
    claim = _give_back(
        actor=actor, claim=claim, action="volunteer_claim.remove", title=title, reason=reason
    )
    notify(
        user_ids=[claim.member.user_id],
        kind="volunteer_order",
        title=title,
        body=reason,
        link=f"/m/volunteer/orders/{claim.order_id}/",
    )
    return claim


def _give_back(*, actor: User, claim: Claim, action: str, title: str, reason: str = "") -> Claim:
    """A claim not signed in released and its place returned: the order published again
    when it was waiting and no claim is left; the requester and the community's admins
    told; audited as `action`."""
    order = claim.order
    now = clock.now()
    with transaction.atomic():
        released = Claim.objects.filter(pk=claim.pk, state=ClaimState.CLAIMED).update(
            state=ClaimState.RELEASED, released_at=now
        )
        if not released:
            raise DomainError("invalid_status", _("该认领当前不能退单。"))
        Order.objects.filter(pk=order.pk).update(
            claimed_count=F("claimed_count") - 1, updated_at=now
        )
        back = Order.objects.filter(pk=order.pk, state=OrderState.CLAIMED, claimed_count=0).update(
            state=OrderState.PUBLISHED
        )
        if back:
            record_event(
                order,
                from_state=OrderState.CLAIMED,
                to_state=OrderState.PUBLISHED,
                actor=actor,
                now=now,
                note=reason or "退单",
            )
        audit.record(
            actor=actor,
            action=action,
            obj=claim,
            org=order.community,
            at=now,
            after={"reason": reason} if reason else None,
        )
        body = _("该需求已重新开放认领。")
        tell_requester(order, title=title, body=body)
        tell_admins(order.community, order, title=title, body=body)
    claim.refresh_from_db()
    return claim


# Signing at the place ------------------------------------------------------------------------


def _at_the_place(
    actor: User, claim: Claim, kind: str, latitude, longitude, accuracy_m, coord_system
) -> int:
    """The phone's distance to the order's place, once the place's fence accepts it. A
    refusal is audited with its reason and measurements before it is raised: refused
    attempts are never silent."""
    order = claim.order
    where = checkin.position(latitude, longitude, accuracy_m, coord_system or "wgs84")
    if order.latitude is None or order.longitude is None:
        _refuse(
            actor,
            claim,
            kind,
            where,
            None,
            DomainError("no_place", _("该需求没有服务地点的位置，请联系社区管理员登记服务时间。")),
        )
    distance = round(
        geo.distance_m(
            where.latitude, where.longitude, float(order.latitude), float(order.longitude)
        )
    )
    breach = geo.fence_breach(
        distance_m=distance, accuracy_m=where.accuracy_m, radius_m=order.radius_m
    )
    if breach == geo.IMPRECISE:
        error = DomainError(
            breach,
            _(
                "定位不够准确（误差约 %(accuracy)d 米，须在 %(radius)d 米以内）。"
                "请打开手机定位后重试。"
            )
            % {"accuracy": round(where.accuracy_m), "radius": order.radius_m},
            accuracy_m=round(where.accuracy_m),
            radius_m=order.radius_m,
        )
        _refuse(actor, claim, kind, where, distance, error)
    if breach == geo.OUT_OF_RANGE:
        error = DomainError(
            breach,
            _("你距离服务地点 %(distance)s，须在 %(radius)d 米以内。请到服务地点后再试。")
            % {"distance": geo.describe(distance), "radius": order.radius_m},
            distance_m=distance,
            radius_m=order.radius_m,
        )
        _refuse(actor, claim, kind, where, distance, error)
    return distance


def _refuse(actor, claim: Claim, kind: str, where, distance, error: DomainError):
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=f"volunteer_claim.{kind}_refused",
            obj=claim,
            org=claim.order.community,
            after={
                "code": error.code,
                "latitude": round(where.latitude, 6) if where else None,
                "longitude": round(where.longitude, 6) if where else None,
                "accuracy_m": round(where.accuracy_m) if where else None,
                "distance_m": distance,
            },
        )
    raise error


def sign_in(
    *, actor: User, claim: Claim, latitude, longitude, accuracy_m, coord_system: str = "wgs84"
) -> Claim:
    """Sign in at the order's place (its radius; the phone's accuracy within it; the position
    in any coordinate system, converted). The first sign-in puts the order in service."""
    _own_claim(actor, claim)
    order = claim.order
    now = clock.now()
    if claim.state != ClaimState.CLAIMED or order.state not in (
        OrderState.CLAIMED,
        OrderState.IN_SERVICE,
    ):
        _refuse(actor, claim, "sign_in", None, None, _state_error(claim))
    if now < order.wanted_from - SIGN_IN_OPENS_BEFORE:
        _refuse(
            actor,
            claim,
            "sign_in",
            None,
            None,
            DomainError(
                "too_early",
                _("服务尚未开始，最早可在开始前 1 小时签到。"),
                opens_at=(order.wanted_from - SIGN_IN_OPENS_BEFORE).isoformat(),
            ),
        )
    distance = _at_the_place(actor, claim, "sign_in", latitude, longitude, accuracy_m, coord_system)
    with transaction.atomic():
        moved = Claim.objects.filter(pk=claim.pk, state=ClaimState.CLAIMED).update(
            state=ClaimState.SIGNED_IN, signed_in_at=now, sign_in_distance_m=distance
        )
        if not moved:
            raise _state_error(claim)
        _start_service(order, actor=actor, now=now)
    claim.refresh_from_db()
    return claim


def _start_service(order: Order, *, actor: User, now, note: str = "") -> None:
    """The order's first signed (or recorded) time puts it in service."""
    transition(
        order,
        OrderState.IN_SERVICE,
        expected=OrderState.CLAIMED,
        actor=actor,
        now=now,
        note=note,
    )


def sign_out(
    *, actor: User, claim: Claim, latitude, longitude, accuracy_m, coord_system: str = "wgs84"
) -> Claim:
    """Sign out at the place; the signed time becomes the claim's hours (hours.hours_of:
    rounded, implausible durations refused), credited when the order is completed."""
    _own_claim(actor, claim)
    now = clock.now()
    if claim.state != ClaimState.SIGNED_IN:
        _refuse(actor, claim, "sign_out", None, None, _state_error(claim))
    try:
        earned = hours.hours_of(claim.signed_in_at, now)
    except DomainError as error:
        _refuse(actor, claim, "sign_out", None, None, error)
    distance = _at_the_place(
        actor, claim, "sign_out", latitude, longitude, accuracy_m, coord_system
    )
    with transaction.atomic():
        moved = Claim.objects.filter(pk=claim.pk, state=ClaimState.SIGNED_IN).update(
            state=ClaimState.SIGNED_OUT,
            signed_out_at=now,
            sign_out_distance_m=distance,
            hours=earned,
        )
        if not moved:
            raise _state_error(claim)
    claim.refresh_from_db()
    return claim


def _state_error(claim: Claim) -> DomainError:
    messages = {
        ClaimState.CLAIMED: _("你尚未签到。"),
        ClaimState.SIGNED_IN: _("你已签到。"),
        ClaimState.SIGNED_OUT: _("你已签退。"),
        ClaimState.RELEASED: _("你已退出该需求。"),
    }
    return DomainError(
        "invalid_status", messages.get(claim.state, str(rules.NOT_ALLOWED_NOW)), state=claim.state
    )


# Admin-recorded times and make-up entries --------------------------------------------------


def record_service_times(
    *, actor: User, claim: Claim, signed_in_at: datetime, signed_out_at: datetime, reason: str
) -> Claim:
    """An admin over the order's community enters a volunteer's times where signing at the
    place was impossible: flagged, with the reason, audited. Entered after the fact
    (hours.is_makeup) it is a make-up (补录): its hours wait for a second admin's approval
    (`approve_makeup`) and are credited then, or at completion if approved before."""
    order = claim.order
    _admin_over(actor, order)
    order.refresh_from_db(fields=["state"])
    reason = required_reason(reason)
    now = clock.now()
    if signed_out_at > now:
        raise DomainError("validation_error", _("结束时间不能晚于现在。"), field="signed_out_at")
    earned = hours.hours_of(signed_in_at, signed_out_at)
    if claim.state == ClaimState.RELEASED:
        raise DomainError("invalid_status", _("该志愿者已退单。"))
    if order.state not in (
        OrderState.CLAIMED,
        OrderState.IN_SERVICE,
        OrderState.COMPLETED,
        OrderState.CONFIRMED,
    ):
        raise DomainError("invalid_status", str(rules.NOT_ALLOWED_NOW))
    is_makeup = hours.is_makeup(recorded_at=now, signed_out_at=signed_out_at)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if hours.is_credited(locked):
            raise DomainError("already_credited", _("该志愿者的服务时长已记入，如有错误请先冲销。"))
        before = audit.snapshot(locked, ["state", "signed_in_at", "signed_out_at", "hours"])
        Claim.objects.filter(pk=claim.pk).update(
            state=ClaimState.SIGNED_OUT,
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            hours=earned,
            is_recorded_by_admin=True,
            recorded_reason=reason,
            recorded_by=actor,
            is_makeup=is_makeup,
            makeup_approved_by=None,
            makeup_approved_at=None,
        )
        _start_service(order, actor=actor, now=now, note=reason)
        claim.refresh_from_db()
        audit.record(
            actor=actor,
            action="volunteer_claim.record_times",
            obj=claim,
            org=order.community,
            before=before,
            after={
                **audit.snapshot(claim, ["state", "signed_in_at", "signed_out_at", "hours"]),
                "reason": reason,
                "is_makeup": is_makeup,
            },
            at=now,
        )
    return claim


def approve_makeup(*, actor: User, claim: Claim) -> Claim:
    """A second admin over the community approves a make-up entry; its hours are credited,
    flagged, once the order is completed (at once if it is). Neither the admin who recorded
    it nor the volunteer may approve it (`self_approval`)."""
    order = claim.order
    _admin_over(actor, order)
    if not claim.is_makeup:
        raise DomainError("not_makeup", _("该记录不是补录，无需审批。"))
    if actor.pk in (claim.recorded_by_id, claim.member.user_id):
        raise DomainError("self_approval", _("补录须由录入人和志愿者本人以外的管理员审批。"))
    now = clock.now()
    with transaction.atomic():
        approved = Claim.objects.filter(
            pk=claim.pk, is_makeup=True, makeup_approved_at__isnull=True
        ).update(makeup_approved_by=actor, makeup_approved_at=now)
        if not approved:
            raise DomainError("already_approved", _("该补录已审批。"))
        claim.refresh_from_db()
        entry = None
        if Order.objects.filter(
            pk=order.pk, state__in=(OrderState.COMPLETED, OrderState.CONFIRMED)
        ).exists():
            entry = hours.credit_claim(claim=claim, recorded_by=actor)
        audit.record(
            actor=actor,
            action="volunteer_claim.approve_makeup",
            obj=claim,
            org=order.community,
            after={"hours": str(claim.hours), "entry": entry.pk if entry else None},
            at=now,
        )
    return claim


# Completion, confirmation, closing ---------------------------------------------------------


def complete_order(*, actor: User, order: Order, note: str = "", photos: Iterable = ()) -> Order:
    """A volunteer of the order reports it done, with evidence (a photo or a text). Every
    live claim must be signed out (or its times recorded by an admin); each claim's hours
    are credited to its volunteer, recorded by the order's community."""
    from dangjian.volunteering import orders

    member = _volunteer(actor)
    if not order.claims.filter(member=member, state__in=LIVE).exists():
        raise permissions.forbidden()
    note = checked_text((note or "").strip(), field="note")
    if len(note) > NOTE_MAX_CHARS:
        raise DomainError(
            "validation_error", _("服务情况不能超过 %d 个字") % NOTE_MAX_CHARS, field="note"
        )
    photos = list(photos)
    if not note and not photos:
        raise DomainError("evidence_required", _("请上传服务照片或填写服务情况。"), field="note")
    if len(photos) > orders.MAX_PHOTOS:
        raise DomainError("too_many_photos", _("每个需求最多上传 %d 张照片") % orders.MAX_PHOTOS)
    if order.state != OrderState.IN_SERVICE:
        raise DomainError("invalid_status", str(rules.NOT_ALLOWED_NOW), state=order.state)
    _check_signed_out(order)
    stored = orders.store_photos(photos)
    now = clock.now()
    try:
        with transaction.atomic():
            # Not `move`: the instance keeps its values should the checks below refuse.
            moved = Order.objects.filter(pk=order.pk, state=OrderState.IN_SERVICE).update(
                state=OrderState.COMPLETED,
                completed_at=now,
                completion_note=note,
                updated_at=now,
            )
            if not moved:
                raise DomainError("invalid_status", str(rules.NOT_ALLOWED_NOW))
            # Read again under the order's lock: a sign-in racing the completion is seen.
            _check_signed_out(order)
            orders.attach_photos(
                order=order, stored=stored, kind=OrderPhotoKind.EVIDENCE, actor=actor, now=now
            )
            record_event(
                order,
                from_state=OrderState.IN_SERVICE,
                to_state=OrderState.COMPLETED,
                actor=actor,
                now=now,
            )
            # A make-up not approved yet is credited when it is.
            for claim in (
                order.claims.filter(state=ClaimState.SIGNED_OUT)
                .exclude(is_makeup=True, makeup_approved_at__isnull=True)
                .select_related("member", "order__category", "order__community")
            ):
                hours.credit_claim(claim=claim, recorded_by=actor)
            tell_requester(order, title=_("志愿服务已完成，请评价：%s") % order.category.name)
    except Exception:
        orders.discard_photos(stored)
        raise
    order.refresh_from_db()
    return order


def _check_signed_out(order: Order) -> None:
    waiting = list(
        order.claims.filter(state__in=(ClaimState.CLAIMED, ClaimState.SIGNED_IN)).values_list(
            "member__name", flat=True
        )
    )
    if waiting:
        raise DomainError(
            "not_signed_out",
            _("以下志愿者尚未签退：%s。请签退或由社区管理员登记服务时间后再完成。")
            % "、".join(waiting),
            members=waiting,
        )


def confirm_order(*, actor: User, order: Order, rating: int, comment: str = "") -> Order:
    """The requester confirms the completed service and rates it 1–5, once."""
    if not permissions.is_requester(actor, order):
        raise DomainError("not_the_requester", _("只有提出需求的群众可以确认和评价。"))
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise DomainError("validation_error", _("评分应为 1 到 5 分"), field="rating")
    comment = checked_text((comment or "").strip(), field="comment")
    if len(comment) > COMMENT_MAX_CHARS:
        raise DomainError(
            "validation_error", _("评价不能超过 %d 个字") % COMMENT_MAX_CHARS, field="comment"
        )
    now = clock.now()
    with transaction.atomic():
        moved = Order.objects.filter(
            pk=order.pk, state=OrderState.COMPLETED, rating__isnull=True
        ).update(
            state=OrderState.CONFIRMED,
            confirmed_at=now,
            rating=rating,
            rating_comment=comment,
            updated_at=now,
        )
        if not moved:
            state = Order.objects.values_list("state", flat=True).get(pk=order.pk)
            if state == OrderState.CONFIRMED:
                raise DomainError("rated_already", _("您已确认并评价过该需求。"))
            raise DomainError("invalid_status", _("服务完成后才能评价。"), state=state)
        record_event(
            order,
            from_state=OrderState.COMPLETED,
            to_state=OrderState.CONFIRMED,
            actor=actor,
            now=now,
        )
        notify(
            user_ids=order.claims.filter(state=ClaimState.SIGNED_OUT).values_list(
                "member__user_id", flat=True
            ),
            kind="volunteer_order",
            title=_("群众已评价您参与的志愿服务：%d 星") % rating,
            link="/m/volunteer/claims/",
        )
    order.refresh_from_db()
    return order


def close_unrated_orders(limit: int = 500) -> int:
    """Completed orders the citizen has not rated for 7 days are confirmed without a rating
    (`is_closed_automatically`). Idempotent: a closed order is not completed any more."""
    now = clock.now()
    due = list(
        Order.objects.filter(
            state=OrderState.COMPLETED, completed_at__lte=now - UNRATED_CLOSE_AFTER
        )
        .order_by("completed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in due:
        with transaction.atomic():
            if transition(
                Order(pk=pk),
                OrderState.CONFIRMED,
                expected=OrderState.COMPLETED,
                actor=None,
                now=now,
                note="超过 7 天未评价，自动完成",
                confirmed_at=now,
                is_closed_automatically=True,
            ):
                closed += 1
    return closed


# Reads ---------------------------------------------------------------------------------------


def claimable_orders(user, limit: int = 50) -> list[Order]:
    """The published orders with a free place that reach the member (volunteering.rules
    .reaches), soonest first, without their own orders and those they hold a place on."""
    member = permissions.own_member(user)
    if member is None:
        return []
    candidates = (
        permissions.scoped_orders(user)
        .filter(state__in=rules.OPEN_FOR_CLAIMS, claimed_count__lt=F("volunteers_needed"))
        .exclude(requester__user=user)
        .exclude(pk__in=Claim.objects.filter(member=member, state__in=LIVE).values("order_id"))
        .select_related("category", "reach", "community")
        .order_by("wanted_from", "pk")
    )
    return [o for o in candidates[: limit * 2] if permissions.order_reaches_volunteer(user, o)][
        :limit
    ]


def claims_of(member):
    """The member's claims, newest first, with their orders."""
    return (
        Claim.objects.filter(member=member)
        .select_related("order", "order__category", "order__community", "member")
        .order_by("-claimed_at", "-pk")
    )


def pending_makeups(user):
    """Make-up entries of the orders of the admin's communities waiting for approval."""
    return (
        Claim.objects.filter(
            permissions.admin_scope_q(user, "order__community__path"),
            is_makeup=True,
            makeup_approved_at__isnull=True,
        )
        .exclude(state=ClaimState.RELEASED)
        .select_related("order", "order__category", "order__community", "member", "recorded_by")
        .order_by("signed_in_at", "pk")
    )


def claims_in_scope(user, member):
    """The member's claims on the orders of the admin's communities: those whose times the
    admin may record."""
    return claims_of(member).filter(permissions.admin_scope_q(user, "order__community__path"))
