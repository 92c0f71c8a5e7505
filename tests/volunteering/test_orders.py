"""Orders from submission to publication: the citizen submits from the menu with photos and
a position, the community's admin publishes or declines with a reason only the requester
sees, the requester or an admin cancels; every change kept as an event."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.audit.models import AuditEntry
from dangjian.core import coords
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.volunteering import orders, selectors
from dangjian.volunteering.models import Order, OrderEvent, OrderPhoto, OrderState
from tests.factories import make_member
from tests.interaction.conftest import EXECUTABLE, image_bytes, upload, use_tmp_media
from tests.volunteering.conftest import make_category, make_citizen, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
REASON = "该需求属于物业维修范围，请联系物业"


@pytest.fixture(autouse=True)
def _now(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def submit(citizen, category, **overrides):
    kwargs = {
        "actor": citizen.user,
        "category": category,
        "description": "老人腿脚不便，想请人上门理发",
        "address": "某村3组12号",
        "latitude": Decimal("33.067800"),
        "longitude": Decimal("107.023400"),
        "coord_system": coords.WGS84,
        "wanted_from": NOW + timedelta(days=1),
        "wanted_until": NOW + timedelta(days=1, hours=2),
        "photos": [],
        **overrides,
    }
    return orders.submit_order(**kwargs)


# The window rule, as a table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_in", "lasts", "accepted"),
    [
        (timedelta(hours=1), timedelta(hours=2), True),
        (timedelta(days=60), timedelta(days=14), True),
        (timedelta(0), timedelta(hours=2), False),  # starts now
        (timedelta(hours=-1), timedelta(hours=2), False),  # in the past
        (timedelta(hours=1), timedelta(0), False),  # ends as it starts
        (timedelta(hours=1), timedelta(hours=-1), False),  # ends before it starts
        (timedelta(days=61), timedelta(hours=2), False),  # too far ahead
        (timedelta(hours=1), timedelta(minutes=10), False),  # too short
        (timedelta(hours=1), timedelta(days=15), False),  # too long
    ],
)
def test_a_wanted_window_is_in_the_future_and_sane(starts_in, lasts, accepted):
    problem = orders.window_problem(NOW, NOW + starts_in, NOW + starts_in + lasts)
    assert (problem is None) is accepted


@pytest.mark.parametrize(
    ("published_ago", "escalated_ago", "due"),
    [
        (timedelta(hours=24), None, True),
        (timedelta(hours=23, minutes=59), None, False),
        (timedelta(hours=48), timedelta(hours=23), False),
        (timedelta(hours=48), timedelta(hours=24), True),
    ],
)
def test_an_unclaimed_order_escalates_a_period_after_publication_or_escalation(
    published_ago, escalated_ago, due
):
    assert (
        orders.escalation_due(
            now=NOW,
            published_at=NOW - published_ago,
            escalated_at=NOW - escalated_ago if escalated_ago else None,
            after=timedelta(hours=24),
        )
        is due
    )


# Submitting ------------------------------------------------------------------------------


def test_a_citizen_submits_an_order_from_the_menu_with_processed_photos(world, citizen, category):
    order = submit(citizen, category, photos=[upload(image_bytes(gps=(Decimal(33), Decimal(107))))])
    assert order.state == OrderState.SUBMITTED
    assert order.community == world.a.branch and order.reach == world.a.branch
    assert order.skills == ["理发"]
    (photo,) = OrderPhoto.objects.filter(order=order)
    assert photo.kind == "request" and photo.width == 800 and photo.height == 600
    # Re-encoded: what is stored carries no EXIF (the citizen's home position) any more.
    stored = photo.image.open("rb").read()
    assert stored.startswith(b"\xff\xd8") and b"Exif" not in stored[:200]
    assert photo.thumbnail.name != photo.image.name
    (event,) = OrderEvent.objects.filter(order=order)
    assert (event.from_state, event.to_state, event.actor) == ("", "submitted", citizen.user)
    # The community's admin is told there is something to review.
    assert Notification.objects.filter(user=world.a.branch_admin, kind="volunteer_order").exists()


def test_a_position_is_stored_in_wgs84_whatever_system_it_came_in(citizen, category):
    lat, lon = coords.from_wgs84(33.0678, 107.0234, coords.GCJ02)
    order = submit(citizen, category, latitude=lat, longitude=lon, coord_system=coords.GCJ02)
    assert abs(float(order.latitude) - 33.0678) < 1e-5
    assert abs(float(order.longitude) - 107.0234) < 1e-5
    # GCJ-02 lies hundreds of metres off in Hanzhong: stored as given it would be caught.
    assert abs(lon - 107.0234) > 1e-3


def test_it_refuses_an_unknown_coordinate_system(citizen, category):
    with pytest.raises(DomainError) as exc:
        submit(citizen, category, coord_system="mars")
    assert exc.value.code == "invalid_coord_system"


def test_it_refuses_a_category_off_the_citizens_menu(world, citizen):
    elsewhere = make_category(world.b.org, name="送健康")
    with pytest.raises(DomainError) as exc:
        submit(citizen, elsewhere)
    assert exc.value.code == "not_on_menu"
    assert not Order.objects.exists()


def test_it_refuses_a_window_in_the_past(citizen, category):
    with pytest.raises(DomainError) as exc:
        submit(citizen, category, wanted_from=NOW - timedelta(hours=1))
    assert exc.value.code == "invalid_window"


def test_it_refuses_a_file_that_is_no_photo_and_keeps_nothing(citizen, category, settings):
    with pytest.raises(DomainError) as exc:
        submit(citizen, category, photos=[upload(image_bytes()), upload(EXECUTABLE, "a.jpg")])
    assert exc.value.code == "unsupported_file"
    assert not Order.objects.exists()
    media = settings.MEDIA_ROOT / "volunteering"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_it_refuses_a_member_who_is_no_citizen(world, category):
    with pytest.raises(DomainError) as exc:
        submit(type("C", (), {"user": world.a.member.user})(), category)
    assert exc.value.code == "not_a_citizen"


# Publishing and declining ----------------------------------------------------------------


def test_publishing_tells_the_requester_and_every_member_it_reaches_in_bulk(
    world, citizen, category, django_assert_max_num_queries
):
    for i in range(5):
        make_member(world.city_admin, world.a.branch, name=f"村党员{i}")
    order = submit(citizen, category)
    with django_assert_max_num_queries(25):
        orders.publish_order(
            actor=world.a.branch_admin, order=order, volunteers_needed=2, skills=["理发", " "]
        )
    order.refresh_from_db()
    assert order.state == OrderState.PUBLISHED
    assert (order.volunteers_needed, order.skills) == (2, ["理发"])
    assert order.reviewed_by == world.a.branch_admin and order.published_at == NOW
    told = set(
        Notification.objects.filter(kind="volunteer_order_published").values_list(
            "user_id", flat=True
        )
    )
    assert world.a.member.user_id in told and len(told) >= 7  # member, flowing, 5 new
    assert world.b.member.user_id not in told and world.outsider.pk not in told
    assert citizen.user_id not in told
    assert Notification.objects.filter(user=citizen.user, title__contains="已发布").exists()
    assert AuditEntry.objects.filter(action="volunteer_order.publish", object_id=str(order.pk))
    assert list(OrderEvent.objects.filter(order=order).values_list("to_state", flat=True)) == [
        "submitted",
        "published",
    ]


def test_a_member_reporting_to_the_community_is_reached_too(world, citizen, category):
    from dangjian.volunteering.models import VolunteerProfile

    VolunteerProfile.objects.create(
        member=world.b.member, community=world.a.branch, reported_at=NOW, updated_at=NOW
    )
    orders.publish_order(
        actor=world.a.branch_admin, order=submit(citizen, category), volunteers_needed=1, skills=[]
    )
    assert Notification.objects.filter(
        user=world.b.member.user, kind="volunteer_order_published"
    ).exists()


def test_declining_keeps_the_reason_for_the_requester_and_the_admins_only(world, citizen, category):
    order = orders.decline_order(
        actor=world.a.branch_admin, order=submit(citizen, category), reason=REASON
    )
    assert order.state == OrderState.DECLINED
    note = Notification.objects.get(user=citizen.user, title__contains="未通过")
    assert note.body == REASON
    # The reason is not in the history that others may read.
    assert not OrderEvent.objects.filter(note__contains="物业").exists()
    for user, sees in [
        (citizen.user, True),
        (world.a.branch_admin, True),
        (world.a.admin, True),
        (world.a.member.user, False),
        (world.outsider, False),
        (world.b.admin, False),
    ]:
        assert (selectors.detail(user, order).decline_reason == REASON) is sees


def test_it_refuses_a_decline_without_a_reason(world, citizen, category):
    order = submit(citizen, category)
    with pytest.raises(DomainError) as exc:
        orders.decline_order(actor=world.a.branch_admin, order=order, reason="  ")
    assert exc.value.code == "reason_required"
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED


@pytest.mark.parametrize("state", ["published", "declined", "cancelled", "claimed"])
def test_it_refuses_to_review_an_order_already_reviewed(world, citizen, category, state):
    order = make_order(citizen, category, state=state)
    with pytest.raises(DomainError) as exc:
        orders.publish_order(
            actor=world.a.branch_admin, order=order, volunteers_needed=1, skills=[]
        )
    assert exc.value.code == "not_submitted"
    with pytest.raises(DomainError) as exc:
        orders.decline_order(actor=world.a.branch_admin, order=order, reason=REASON)
    assert exc.value.code == "not_submitted"


@pytest.mark.parametrize("who", ["member", "outsider", "b_admin", "requester"])
def test_only_the_admins_over_the_community_review(world, citizen, category, who):
    order = submit(citizen, category)
    user = {
        "member": world.a.member.user,
        "outsider": world.outsider,
        "b_admin": world.b.admin,
        "requester": citizen.user,
    }[who]
    with pytest.raises(DomainError) as exc:
        orders.publish_order(actor=user, order=order, volunteers_needed=1, skills=[])
    assert exc.value.code in ("not_found", "forbidden")
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED


def test_it_refuses_to_publish_an_order_whose_window_passed(world, citizen, category, _now):
    order = submit(citizen, category)
    _now.move_to(NOW + timedelta(days=2))
    with pytest.raises(DomainError) as exc:
        orders.publish_order(
            actor=world.a.branch_admin, order=order, volunteers_needed=1, skills=[]
        )
    assert exc.value.code == "window_passed"


# Cancelling ------------------------------------------------------------------------------


def test_the_requester_cancels_before_the_service_starts(world, citizen, category):
    order = orders.cancel_order(
        actor=citizen.user, order=submit(citizen, category), reason="不需要了"
    )
    assert order.state == OrderState.CANCELLED and order.cancel_reason == "不需要了"
    assert not AuditEntry.objects.filter(action="volunteer_order.cancel").exists()
    assert Notification.objects.filter(user=world.a.branch_admin, title__contains="已取消").exists()


def test_an_admin_cancels_with_an_audit_entry_and_the_requester_is_told(world, citizen, category):
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    orders.cancel_order(actor=world.a.admin, order=order, reason="重复提交")
    assert AuditEntry.objects.filter(action="volunteer_order.cancel", actor=world.a.admin).exists()
    assert Notification.objects.filter(user=citizen.user, title__contains="已被取消").exists()


@pytest.mark.parametrize("state", ["in_service", "completed", "confirmed", "declined", "expired"])
def test_it_refuses_to_cancel_once_the_service_started_or_the_order_ended(citizen, category, state):
    order = make_order(citizen, category, state=state)
    with pytest.raises(DomainError) as exc:
        orders.cancel_order(actor=citizen.user, order=order, reason="不需要了")
    assert exc.value.code == "not_cancellable"


def test_a_member_it_reaches_may_not_cancel_it(world, citizen, category):
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    with pytest.raises(DomainError) as exc:
        orders.cancel_order(actor=world.a.member.user, order=order, reason="x")
    assert exc.value.code == "not_the_requester"
    with pytest.raises(DomainError) as exc:
        orders.cancel_order(actor=world.outsider, order=order, reason="x")
    assert exc.value.code == "not_found"
    other = make_citizen(world.a.branch, name="李大爷")
    with pytest.raises(DomainError) as exc:
        orders.cancel_order(actor=other.user, order=order, reason="x")
    assert exc.value.code == "not_found"


# Lists -----------------------------------------------------------------------------------


def test_the_review_queue_puts_submitted_orders_first_then_overdue_and_unclaimed(
    world, citizen, category
):
    published = make_order(citizen, category, state=OrderState.PUBLISHED)
    overdue = make_order(citizen, category, state=OrderState.CLAIMED)
    Order.objects.filter(pk=overdue.pk).update(is_overdue=True)
    submitted = make_order(citizen, category)
    make_order(citizen, category, state=OrderState.CONFIRMED)
    queue = list(selectors.review_queue(world.a.branch_admin))
    assert queue == [submitted, overdue, published]
    assert list(selectors.review_queue(world.b.admin)) == []
    assert list(selectors.review_queue(world.outsider)) == []


def test_the_order_list_is_scoped_and_takes_no_query_per_row(
    world, citizen, category, django_assert_num_queries
):
    for _ in range(5):
        make_order(citizen, category, state=OrderState.PUBLISHED)
    make_order(citizen, category)
    user = world.a.admin
    # The admin's paths, their citizen and member records (none), then the page.
    with django_assert_num_queries(4):
        rows = [(o.category.name, o.reach.name, o.community.name) for o in selectors.orders(user)]
    assert len(rows) == 6
    assert selectors.orders(world.a.member.user).count() == 5  # published ones only
    assert selectors.orders(world.a.admin, state="submitted").count() == 1
    assert selectors.orders(world.b.admin).count() == 0
    assert selectors.orders(world.outsider).count() == 0


# Pages -----------------------------------------------------------------------------------


def order_form(category, **overrides) -> dict:
    return {
        "category": category.pk,
        "description": "老人腿脚不便，想请人上门理发",
        "address": "",
        "latitude": "33.067800",
        "longitude": "107.023400",
        "coord_system": "wgs84",
        "wanted_from": "2026-12-02T09:00",
        "wanted_until": "2026-12-02T11:00",
        **overrides,
    }


def test_a_citizen_orders_on_the_phone_with_a_photo_and_sees_it_in_their_list(
    page, citizen, category
):
    client = page(citizen.user)
    form = client.get("/c/orders/new/")
    assert form.status_code == 200
    assert category.name in form.content.decode()
    response = client.post(
        "/c/orders/new/", {**order_form(category), "photos": [upload(image_bytes())]}
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/c/orders/{order.pk}/"
    assert order.address == citizen.address  # left empty: their own address
    assert order.wanted_from == datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
    assert OrderPhoto.objects.filter(order=order).count() == 1
    listing = client.get("/c/orders/").content.decode()
    assert "待审核" in listing and f"/c/orders/{order.pk}/" in listing
    detail = client.get(f"/c/orders/{order.pk}/").content.decode()
    assert "/volunteering/photos/" in detail and "取消需求" in detail


def test_the_order_form_shows_a_refusal_in_chinese(page, citizen, category):
    response = page(citizen.user).post(
        "/c/orders/new/", order_form(category, wanted_from="2026-11-30T09:00")
    )
    assert response.status_code == 200
    assert "期望开始时间应晚于现在" in response.content.decode()
    assert not Order.objects.exists()


def test_the_decline_reason_shows_on_the_requesters_and_the_admins_pages_only(
    page, world, citizen, category
):
    order = orders.decline_order(
        actor=world.a.branch_admin, order=submit(citizen, category), reason=REASON
    )
    assert REASON in page(citizen.user).get(f"/c/orders/{order.pk}/").content.decode()
    admin_page = page(world.a.admin).get(f"/console/volunteering/orders/{order.pk}/")
    assert admin_page.status_code == 200 and REASON in admin_page.content.decode()
    # Everyone else: no page that shows it.
    other = make_citizen(world.a.branch, name="李大爷")
    assert page(other.user).get(f"/c/orders/{order.pk}/").status_code == 404
    for user in (world.a.member.user, world.outsider, world.b.admin):
        response = page(user).get(f"/c/orders/{order.pk}/")
        assert response.status_code == 302 and REASON not in response.content.decode()
    assert page(world.b.admin).get(f"/console/volunteering/orders/{order.pk}/").status_code == 404
    for user in (world.a.member.user, world.outsider):
        response = page(user).get(f"/console/volunteering/orders/{order.pk}/")
        assert response.status_code == 403 and REASON not in response.content.decode()


def test_a_member_it_reaches_is_never_shown_a_reason_on_the_console(page, world, citizen, category):
    # A branch secretary is a member it reaches and an admin: as the admin they see it.
    order = make_order(citizen, category, state=OrderState.PUBLISHED)
    Order.objects.filter(pk=order.pk).update(decline_reason=REASON)
    response = page(world.a.member.user).get(f"/console/volunteering/orders/{order.pk}/")
    assert response.status_code == 403 and REASON not in response.content.decode()


def test_the_admin_publishes_from_the_console_and_county_b_cannot(page, world, citizen, category):
    order = submit(citizen, category)
    data = {"volunteers_needed": "2", "skills": "理发、按摩", "note": ""}
    path = f"/console/volunteering/orders/{order.pk}/publish/"
    assert page(world.b.admin).post(path, data).status_code == 404
    assert page(world.outsider).post(path, data).status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED
    response = page(world.a.branch_admin).post(path, data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.volunteers_needed, order.skills) == (
        "published",
        2,
        ["理发", "按摩"],
    )


def test_the_console_shows_a_refused_decline_in_chinese(page, world, citizen, category):
    order = submit(citizen, category)
    client = page(world.a.branch_admin)
    response = client.post(f"/console/volunteering/orders/{order.pk}/decline/", {"reason": ""})
    assert response.status_code == 302
    assert "请填写原因" in client.get(response.url).content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED


def test_the_console_queue_is_scoped_and_flags_overdue_and_escalated_orders(
    page, world, citizen, category
):
    submitted = submit(citizen, category)
    flagged = make_order(citizen, category, state=OrderState.PUBLISHED)
    Order.objects.filter(pk=flagged.pk).update(
        is_overdue=True, escalation_level=1, reach=world.a.town
    )
    queue = page(world.a.admin).get("/console/volunteering/orders/")
    body = queue.content.decode()
    assert queue.status_code == 200
    assert f'data-order="{submitted.pk}"' in body and f'data-order="{flagged.pk}"' in body
    assert body.index(f'data-order="{submitted.pk}"') < body.index(f'data-order="{flagged.pk}"')
    assert 'data-flag="overdue"' in body and 'data-flag="escalated"' in body
    assert (
        "data-order="
        not in page(world.b.admin).get("/console/volunteering/orders/").content.decode()
    )
    assert page(world.outsider).get("/console/volunteering/orders/").status_code == 403


def test_the_requester_cancels_on_the_phone(page, world, citizen, category):
    order = submit(citizen, category)
    path = f"/c/orders/{order.pk}/cancel/"
    for user in (world.outsider, world.b.admin, world.a.member.user):
        page(user).post(path, {"reason": "不需要了"})
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED
    response = page(citizen.user).post(path, {"reason": "不需要了"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_the_requester_sees_their_rating_once_confirmed(page, world, citizen, category):
    order = make_order(citizen, category, state=OrderState.CONFIRMED)
    Order.objects.filter(pk=order.pk).update(rating=4, rating_comment="很及时")
    body = page(citizen.user).get(f"/c/orders/{order.pk}/").content.decode()
    assert "4 星" in body and "很及时" in body and "取消需求" not in body
    for user in (world.outsider, world.b.admin):
        assert page(user).get(f"/c/orders/{order.pk}/").status_code == 302
