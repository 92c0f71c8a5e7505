"""WeChat template messages: the `wechat` channel against a local stand-in that answers as
WeChat documents (tests/notifications/wechat_standin.py), through wechatpy, the production
code with only the base URL changed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from dangjian.core import clock
from dangjian.notifications import channels, services, tasks, wechat
from dangjian.notifications.models import Notification, OutboundBatch, OutboundStatus, WechatMessage
from dangjian.registry import wechat as wechat_account
from dangjian.registry.models import WechatBinding

from .wechat_standin import APP_ID, SECRET, TEMPLATES, bind

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def notify(capture, user_ids, kind="campaign", title="十二月主题党日", **extra) -> None:
    with capture(execute=True):
        services.notify(user_ids=user_ids, kind=kind, title=title, link="/m/", **extra)


def test_a_template_message_goes_once_to_a_bound_member_and_not_to_an_unbound_one(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")

    with time_machine.travel(NOW, tick=False):
        notify(
            django_capture_on_commit_callbacks,
            [world.a.member.user_id, world.b.member.user_id],
            body="请各支部按时开展",
        )

    assert len(stand_in.accepted) == 1
    sent = stand_in.accepted[0]
    assert sent["touser"] == "openid-a"
    assert sent["template_id"] == "TPL-CAMPAIGN"
    assert sent["url"].endswith("/m/")
    assert sent["data"] == {
        "thing1": {"value": "十二月主题党日"},
        "thing2": {"value": "请各支部按时开展"},
        "time3": {"value": "2026年12月01日 09:00"},
    }
    token_request = stand_in.token_requests()[0]["query"]
    assert token_request == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": SECRET,
    }
    message = WechatMessage.objects.get()
    assert (message.user_id, message.status, message.attempts) == (
        world.a.member.user_id,
        OutboundStatus.SENT,
        1,
    )
    assert message.msgid == "200228333"
    # The unbound member still has the notice in the inbox.
    assert Notification.objects.filter(user=world.b.member.user).exists()


def test_a_notice_of_a_kind_without_a_template_id_is_not_sent_to_wechat(
    world, stand_in, settings, django_capture_on_commit_callbacks
):
    settings.WECHAT_TEMPLATES = {**TEMPLATES, "campaign": ""}
    bind(world.a.member.user, "openid-a")

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])
    notify(django_capture_on_commit_callbacks, [world.a.member.user_id], kind="leave_approved")

    assert stand_in.requests == []
    assert not WechatMessage.objects.exists()
    assert OutboundBatch.objects.filter(status=OutboundStatus.SENT).count() == 2


def test_every_kind_with_a_template_has_a_setting_for_its_id(settings):
    from dangjian import settings as project_settings

    assert set(project_settings.WECHAT_TEMPLATES) == set(wechat.TEMPLATE_FIELDS)
    assert set(wechat.RESULTS) <= set(wechat.TEMPLATE_FIELDS)


@pytest.mark.parametrize(
    "failure",
    [500, {"errcode": -1, "errmsg": "system error"}],
    ids=["http-500", "errcode-minus-1"],
)
def test_a_failure_of_wechat_is_retried_and_the_message_sent_once_in_the_end(
    world, stand_in, failure, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    stand_in.failures = [failure]

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])

    assert len(stand_in.send_requests()) == 2
    assert [m["touser"] for m in stand_in.accepted] == ["openid-a"]
    message = WechatMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == (OutboundStatus.SENT, 2, "")


def test_a_wechat_that_keeps_failing_leaves_the_message_failed_with_its_error(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    stand_in.failures = [503] * 20

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])

    message = WechatMessage.objects.get()
    assert message.status == OutboundStatus.FAILED
    assert message.attempts == len(stand_in.send_requests()) == wechat.RETRIES.max_attempts
    assert "503" in message.last_error
    assert stand_in.accepted == []


def test_an_error_another_attempt_cannot_mend_is_not_retried(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    stand_in.failures = [{"errcode": 43004, "errmsg": "require subscribe"}]

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])

    message = WechatMessage.objects.get()
    assert (message.status, message.attempts) == (OutboundStatus.FAILED, 1)
    assert "43004" in message.last_error
    assert len(stand_in.send_requests()) == 1


def test_the_access_token_is_fetched_once_and_reused(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    bind(world.b.member.user, "openid-b")

    for title in ("通知一", "通知二", "通知三"):
        notify(
            django_capture_on_commit_callbacks,
            [world.a.member.user_id, world.b.member.user_id],
            title=title,
        )

    assert len(stand_in.token_requests()) == 1
    assert len(stand_in.accepted) == 6
    assert {m["access_token"] for m in stand_in.accepted} == {"TOKEN-1"}


def test_the_access_token_is_refreshed_before_it_expires(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    kept = stand_in.expires_in - int(wechat_account.REFRESH_BEFORE.total_seconds())

    with time_machine.travel(NOW, tick=False) as traveller:
        notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="一")
        traveller.shift(timedelta(seconds=kept - 1))
        notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="二")
        assert len(stand_in.token_requests()) == 1
        traveller.shift(timedelta(seconds=1))
        notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="三")

    assert len(stand_in.token_requests()) == 2
    assert [m["access_token"] for m in stand_in.accepted] == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]


def test_a_refused_token_is_refreshed_once_and_the_message_sent(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="一")
    stand_in.revoke_tokens()  # as after another client fetched a token: 40001

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="二")

    assert len(stand_in.token_requests()) == 2
    assert [m["access_token"] for m in stand_in.accepted] == ["TOKEN-1", "TOKEN-2"]
    second = WechatMessage.objects.get(data__thing1__value="二")
    assert (second.status, second.attempts) == (OutboundStatus.SENT, 1)


def test_a_token_refused_again_after_refreshing_is_fetched_once_per_attempt(stand_in):
    stand_in.failures = [{"errcode": 42001, "errmsg": "access_token expired"}] * 2

    with pytest.raises(wechat.WechatError, match="42001"):
        wechat.send_template(openid="openid-a", template_id="TPL", data={})

    assert len(stand_in.token_requests()) == 2
    assert len(stand_in.send_requests()) == 2


def test_a_wrong_app_secret_fails_the_attempt_with_wechats_error(world, stand_in, settings):
    settings.WECHAT_APP_SECRET = "wrong"

    with pytest.raises(wechat.WechatError, match="40125"):
        wechat.send_template(openid="openid-a", template_id="TPL", data={})
    assert stand_in.send_requests() == []


def test_the_same_notice_delivered_twice_sends_one_message(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])
    batch = OutboundBatch.objects.get()
    # As if the worker died after the batch was handed over, before it was marked sent.
    OutboundBatch.objects.filter(pk=batch.pk).update(status=OutboundStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver_outbound(batch.pk) == "sent"

    assert len(stand_in.accepted) == 1
    assert WechatMessage.objects.count() == 1


def test_a_notice_sent_again_with_its_dedupe_key_sends_no_second_message(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    notice = {"title": "十二月主题党日", "kind": "campaign"}
    channel = channels.get("wechat")
    for _ in range(2):
        notify(django_capture_on_commit_callbacks, [world.a.member.user_id], dedupe_key="c:1")
        # The inbox refuses the second; the channel itself refuses it too.
        with django_capture_on_commit_callbacks(execute=True):
            channel.send([{**notice, "user_id": world.a.member.user_id, "key": "c:1"}])

    assert len(stand_in.accepted) == 1


def test_notices_without_a_dedupe_key_each_reach_wechat(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")

    for _ in range(2):
        notify(django_capture_on_commit_callbacks, [world.a.member.user_id], title="同一标题")

    assert len(stand_in.accepted) == 2


def test_the_database_refuses_a_second_message_for_one_notice_and_recipient(world):
    row = {
        "user": world.a.member.user,
        "notice_key": "campaign:1",
        "kind": "campaign",
        "openid": "openid-a",
        "template_id": "TPL",
        "created_at": clock.now(),
    }
    WechatMessage.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        WechatMessage.objects.create(**row)


def test_a_member_unbound_before_the_message_goes_out_gets_nothing(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(user_ids=[world.a.member.user_id], kind="campaign", title="通知")
    tasks.deliver_outbound(OutboundBatch.objects.get().pk)  # the rows made, not yet sent
    WechatBinding.objects.filter(user=world.a.member.user).delete()

    message = WechatMessage.objects.get()
    assert wechat.deliver_wechat(message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED
    assert "no longer bound" in message.last_error
    assert stand_in.send_requests() == []


def test_the_channel_fails_its_batch_while_the_app_id_is_not_set(
    world, stand_in, settings, django_capture_on_commit_callbacks
):
    settings.WECHAT_APP_ID = ""
    bind(world.a.member.user, "openid-a")

    notify(django_capture_on_commit_callbacks, [world.a.member.user_id])

    batch = OutboundBatch.objects.get()
    assert batch.status == OutboundStatus.FAILED
    assert "WECHAT_APP_ID" in batch.last_error
    assert stand_in.requests == []


def test_a_message_whose_task_never_ran_is_sent_by_the_sweep(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.member.user, "openid-a")
    with time_machine.travel(NOW, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=False):
            services.notify(user_ids=[world.a.member.user_id], kind="campaign", title="通知")
        with django_capture_on_commit_callbacks(execute=False):  # the send is never queued
            tasks.deliver_outbound(OutboundBatch.objects.get().pk)

        assert wechat.deliver_due() == 0  # its task might still be on its way
        traveller.shift(timedelta(seconds=wechat.RETRIES.grace_seconds))
        assert wechat.deliver_due() == 1

    assert len(stand_in.accepted) == 1
    assert wechat.deliver_due() == 0


def test_a_rejected_plan_says_so_with_the_reason(
    world, stand_in, django_capture_on_commit_callbacks
):
    bind(world.a.branch_admin, "openid-secretary")

    notify(
        django_capture_on_commit_callbacks,
        [world.a.branch_admin.pk],
        kind="plan_rejected",
        title="活动计划被退回：十二月主题党日",
        body="地点不明确",
    )

    data = stand_in.accepted[0]["data"]
    assert stand_in.accepted[0]["template_id"] == "TPL-PLAN_REJECTED"
    assert data["phrase2"] == {"value": "被退回"}
    assert data["thing3"] == {"value": "地点不明确"}


@pytest.mark.parametrize(
    "keyword, value, fitted",
    [
        ("thing1", "短标题", "短标题"),
        ("thing1", "一" * 20, "一" * 20),
        ("thing1", "一" * 21, "一" * 19 + "…"),
        ("thing2", "", "无"),
        ("thing2", "第一行\n第二行", "第一行 第二行"),
        ("phrase2", "已通过", "已通过"),
        ("phrase2", "这是六个字啊", "这是六个…"),
        ("time3", "2026年12月01日 09:00", "2026年12月01日 09:00"),
    ],
)
def test_a_value_is_fitted_to_its_keywords_type(keyword, value, fitted):
    assert wechat.fit(keyword, value) == fitted


# The notices of the domain reach WeChat under the kinds the templates are set for.


def test_a_distributed_campaign_reaches_each_bound_members_wechat_once(
    world, stand_in, django_capture_on_commit_callbacks
):
    from dangjian.themedays import services as themedays

    bind(world.a.member.user, "openid-a")
    with time_machine.travel(NOW, tick=False):
        campaign = themedays.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="学习贯彻党的二十届四中全会精神",
            guidance="各支部围绕主题开展学习研讨。",
            holding_from=NOW.date(),
            holding_until=NOW.date() + timedelta(days=19),
        )
        for _ in range(2):  # a second click sends nothing more
            with django_capture_on_commit_callbacks(execute=True):
                themedays.request_distribution(actor=world.city_admin, campaign=campaign)

    assert [(m["touser"], m["template_id"]) for m in stand_in.accepted] == [
        ("openid-a", "TPL-CAMPAIGN")
    ]
    assert WechatMessage.objects.get().notice_key == campaign.dedupe_key


def test_an_approved_plan_reaches_the_branch_secretarys_wechat(
    world, stand_in, django_capture_on_commit_callbacks
):
    from dangjian.themedays import services as themedays
    from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

    bind(world.a.branch_admin, "openid-secretary")
    day = NOW + timedelta(days=9)
    with time_machine.travel(NOW, tick=False):
        campaign = themedays.create_campaign(
            actor=world.city_admin,
            org=world.city,
            month="2026-12",
            theme="学习贯彻党的二十届四中全会精神",
            guidance="各支部围绕主题开展学习研讨。",
            holding_from=NOW.date(),
            holding_until=NOW.date() + timedelta(days=19),
        )
        activity = themedays.draft_activity(
            actor=world.a.branch_admin,
            branch=world.a.branch,
            campaign=campaign,
            title="十二月主题党日",
            starts_at=day,
            ends_at=day + timedelta(hours=2),
            venue_address="村党员活动室",
            latitude="33.067800",
            longitude="107.023400",
            agenda=list(DEFAULT_REQUIRED_ITEMS),
        )
        with django_capture_on_commit_callbacks(execute=True):
            themedays.submit_activity(actor=world.a.branch_admin, activity=activity)
            themedays.approve_activity(actor=world.a.admin, activity=activity)

    assert len(stand_in.accepted) == 1
    sent = stand_in.accepted[0]
    assert (sent["touser"], sent["template_id"]) == ("openid-secretary", "TPL-PLAN_APPROVED")
    assert sent["data"]["thing1"] == {"value": "活动计划已通过：十二月主题党日"}
    assert sent["data"]["phrase2"] == {"value": "已通过"}
