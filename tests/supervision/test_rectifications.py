"""整改: opened by a superior with a deadline, answered by the branch with text and
attachments, accepted or reopened by the superior; overdue when still open after the
deadline."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.supervision import selectors, services
from dangjian.supervision.models import RectificationStatus
from tests.scoring.conftest import NOW, SHANGHAI

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_one(world, deadline=None):
    return services.open_rectification(
        actor=world.a.admin,
        branch=world.a.branch,
        title="活动照片不真实",
        requirement="重新上传活动现场照片并说明情况",
        deadline=deadline or TODAY + timedelta(days=7),
    )


def test_the_life_cycle_open_answer_reopen_answer_accept(world, clock):
    r = open_one(world)
    assert r.status == RectificationStatus.OPEN
    assert r.opened_by_org == world.a.org
    assert Notification.objects.filter(user=world.a.branch_admin, kind="rectification").exists()

    r = services.answer_rectification(
        actor=world.a.branch_admin,
        rectification=r,
        text="已补充现场照片",
        files=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
    )
    assert r.status == RectificationStatus.ANSWERED
    assert r.attachments.get().content_type == "image/png"

    r = services.reopen_rectification(
        actor=world.a.admin,
        rectification=r,
        reason="照片仍不清晰",
        deadline=TODAY + timedelta(days=3),
    )
    assert (r.status, r.reopen_count, r.deadline) == ("open", 1, TODAY + timedelta(days=3))

    r = services.answer_rectification(
        actor=world.a.branch_admin, rectification=r, text="已重新拍摄"
    )
    r = services.accept_rectification(actor=world.a.admin, rectification=r, remark="整改到位")
    assert r.status == RectificationStatus.ACCEPTED and r.accepted_at is not None
    assert [e.action for e in r.events.all()] == ["open", "answer", "reopen", "answer", "accept"]
    assert list(
        AuditEntry.objects.filter(object_type="supervision.rectification")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "rectification.open",
        "rectification.answer",
        "rectification.reopen",
        "rectification.answer",
        "rectification.accept",
    ]
    with pytest.raises(DomainError) as exc:
        services.reopen_rectification(actor=world.a.admin, rectification=r, reason="再改")
    assert exc.value.code == "invalid_status"


def test_who_may_do_what(world, clock):
    # The branch's own admin cannot open one for their branch; county B cannot see it.
    for actor, code in ((world.a.branch_admin, "forbidden"), (world.b.admin, "not_found")):
        with pytest.raises(DomainError) as exc:
            services.open_rectification(
                actor=actor,
                branch=world.a.branch,
                title="x",
                requirement="y",
                deadline=TODAY,
            )
        assert exc.value.code == code
    r = open_one(world)
    # Only the branch answers; a superior does not answer for it.
    with pytest.raises(DomainError) as exc:
        services.answer_rectification(actor=world.a.admin, rectification=r, text="代为反馈")
    assert exc.value.code == "forbidden"
    # Only a superior accepts.
    r = services.answer_rectification(actor=world.a.branch_admin, rectification=r, text="已整改")
    with pytest.raises(DomainError) as exc:
        services.accept_rectification(actor=world.a.branch_admin, rectification=r)
    assert exc.value.code == "forbidden"
    for outsider in (world.b.admin, world.outsider, world.a.member.user):
        with pytest.raises(DomainError) as exc:
            services.accept_rectification(actor=outsider, rectification=r)
        assert exc.value.code == "not_found"
    # The city (above the county) may decide too.
    services.accept_rectification(actor=world.city_admin, rectification=r)


def test_a_deadline_in_the_past_and_unsupported_attachments_are_refused(world, clock):
    with pytest.raises(DomainError) as exc:
        open_one(world, deadline=TODAY - timedelta(days=1))
    assert exc.value.details["field"] == "deadline"
    r = open_one(world)
    with pytest.raises(DomainError) as exc:
        services.answer_rectification(
            actor=world.a.branch_admin,
            rectification=r,
            text="附件",
            files=[SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10)],
        )
    assert exc.value.code == "unsupported_file"
    assert r.events.count() == 1  # nothing half-written


def test_an_open_rectification_past_its_deadline_is_overdue_until_answered(world, clock):
    late = open_one(world, deadline=TODAY + timedelta(days=1))
    on_time = services.open_rectification(
        actor=world.a.admin,
        branch=world.a.other_branch,
        title="会议记录不全",
        requirement="补齐",
        deadline=TODAY + timedelta(days=30),
    )
    assert selectors.overdue_count(world.a.admin, world.a.org) == 0
    with time_machine.travel(datetime(2027, 1, 7, 9, tzinfo=SHANGHAI), tick=False):
        overdue = list(selectors.rectifications_in(world.a.admin, world.a.org, overdue=True))
        assert overdue == [late]
        assert late.is_overdue_on(date(2027, 1, 7)) and not on_time.is_overdue_on(date(2027, 1, 7))
        # The city sees it; county B does not.
        assert selectors.overdue_count(world.city_admin, world.city) == 1
        assert selectors.overdue_count(world.b.admin, world.b.org) == 0
        assert list(selectors.rectifications_in(world.b.admin, world.city)) == []
        services.answer_rectification(
            actor=world.a.branch_admin, rectification=late, text="迟到的反馈"
        )
        assert selectors.overdue_count(world.a.admin, world.a.org) == 0
