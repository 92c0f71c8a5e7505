"""Signing in inside WeChat, against the local WeChat stand-in: the first visit goes through
WeChat's authorization into activation and binds; later visits sign in without a password;
an unbound WeChat is asked again; the member unbinds on the profile page."""

from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangjian.audit.models import AuditEntry
from dangjian.core import clock as server_clock
from dangjian.notifications.models import SmsMessage
from dangjian.registry import accounts
from dangjian.registry.models import WechatBinding
from tests.factories import PASSWORD, make_member, next_id_number
from tests.wechat_standin import wechat  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_PASSWORD = "Hanzhong-ok-2026"
WECHAT_UA = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50"


@pytest.fixture(autouse=True)
def _demo(settings):
    # The demo outbox keeps the code readable.
    settings.SMS_DEMO_OUTBOX = True


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def newcomer(world):
    id_number = next_id_number()
    member = make_member(world.city_admin, world.a.branch, password=None, id_number=id_number)
    member.id_number = id_number
    return member


def in_wechat() -> Client:
    return Client(HTTP_USER_AGENT=WECHAT_UA)


def through_wechat(client, standin, openid, page="/m/profile/"):
    """Open `page` inside WeChat, go through WeChat's authorization as `openid`; the answer
    of the callback."""
    first = client.get(page)
    assert first.status_code == 302 and first.url.startswith("/m/wechat/?next=")
    to_wechat = client.get(first.url)
    assert to_wechat.status_code == 302
    authorize = urlparse(to_wechat.url)
    assert f"{authorize.scheme}://{authorize.netloc}" == standin.base_url
    query = parse_qs(authorize.query)
    assert query["scope"] == ["snsapi_base"]
    callback = urlparse(query["redirect_uri"][0])
    # WeChat sends the visitor back with a code and the state unchanged.
    return client.get(
        callback.path,
        {
            **{k: v[0] for k, v in parse_qs(callback.query).items()},
            "code": standin.code_for(openid),
            "state": query["state"][0],
        },
    )


def activate(client, django_capture_on_commit_callbacks, member, next_url="/m/profile/"):
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/m/activate/", {"phone": member.user.phone, "send": "1", "next": next_url}
        )
    assert sent.status_code == 200
    code = SmsMessage.objects.filter(phone=member.user.phone).order_by("-pk").first().params["code"]
    return client.post(
        "/m/activate/",
        {
            "phone": member.user.phone,
            "code": code,
            "id_last6": member.id_number[-6:],
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "next": next_url,
        },
    )


def test_the_first_visit_activates_and_binds_then_the_next_signs_in_without_password(
    wechat,  # noqa: F811
    newcomer,
    django_capture_on_commit_callbacks,
):
    client = in_wechat()
    back = through_wechat(client, wechat, "o-newcomer")
    assert back.status_code == 302 and back.url == "/m/activate/?next=%2Fm%2Fprofile%2F"
    done = activate(client, django_capture_on_commit_callbacks, newcomer)
    assert done.status_code == 302 and done.url == "/m/profile/"
    binding = WechatBinding.objects.get(openid="o-newcomer")
    assert binding.user == newcomer.user and binding.bound_at == server_clock.now()
    assert AuditEntry.objects.filter(action="wechat.bind", object_id=str(newcomer.user.pk)).exists()

    # A later visit, a new session: WeChat says who it is, the member is signed in.
    later = in_wechat()
    signed = through_wechat(later, wechat, "o-newcomer")
    assert signed.status_code == 302 and signed.url == "/m/profile/"
    profile = later.get("/m/profile/")
    assert profile.status_code == 200 and newcomer.name in profile.content.decode()
    assert "解除微信绑定" in profile.content.decode()


def test_an_unbound_wechat_is_asked_again_on_every_visit(wechat, world):  # noqa: F811
    client = in_wechat()
    first = through_wechat(client, wechat, "o-stranger")
    assert first.url.startswith("/m/activate/")
    # Within the session: sent to activation without asking WeChat again.
    again = client.get("/m/")
    assert again.status_code == 302 and again.url == "/m/activate/?next=%2Fm%2F"
    assert client.get("/m/activate/?next=/m/").status_code == 200
    # A new session: WeChat again, then activation again.
    later = in_wechat()
    second = through_wechat(later, wechat, "o-stranger", page="/m/")
    assert second.status_code == 302 and second.url == "/m/activate/?next=%2Fm%2F"
    assert not WechatBinding.objects.exists()


def test_outside_wechat_the_password_login_is_asked(wechat, world):  # noqa: F811
    response = Client().get("/m/profile/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert not wechat.calls


def test_without_an_app_id_wechat_browsers_get_the_password_login(settings, world):
    settings.WECHAT_APP_ID = ""
    response = in_wechat().get("/m/profile/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_callback_without_this_sessions_state_is_refused(wechat, world):  # noqa: F811
    client = in_wechat()
    client.get("/m/wechat/?next=/m/")
    response = client.get(
        "/m/wechat/callback/", {"code": wechat.code_for("o-x"), "state": "forged"}
    )
    assert response.status_code == 400
    assert not wechat.calls_to("/sns/oauth2/access_token")
    assert "_auth_user_id" not in client.session


def test_a_code_wechat_refuses_shows_a_page_and_signs_nobody_in(wechat, world):  # noqa: F811
    client = in_wechat()
    to_wechat = client.get("/m/wechat/?next=/m/")
    state = parse_qs(urlparse(to_wechat.url).query)["state"][0]
    response = client.get("/m/wechat/callback/", {"code": "never-issued", "state": state})
    assert response.status_code == 502 and "微信服务暂时不可用" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_member_with_a_password_binds_on_the_profile_page(wechat, world):  # noqa: F811
    member = world.a.member
    client = in_wechat()
    through_wechat(client, wechat, "o-member")
    # "已有密码，去登录" from the activation page, inside WeChat's browser.
    signed = client.post("/login/", {"phone": member.user.phone, "password": PASSWORD})
    assert signed.status_code == 302
    profile = client.get("/m/profile/")
    assert "绑定本微信" in profile.content.decode()
    response = client.post("/m/wechat/bind/")
    assert response.status_code == 302
    assert WechatBinding.objects.get(user=member.user).openid == "o-member"


def test_the_member_unbinds_on_the_profile_page_and_wechat_asks_again(wechat, world):  # noqa: F811
    member = world.a.member
    WechatBinding.objects.create(user=member.user, openid="o-member", bound_at=server_clock.now())
    client = in_wechat()
    assert through_wechat(client, wechat, "o-member").url == "/m/profile/"
    response = client.post("/m/wechat/unbind/")
    assert response.status_code == 302 and response.url == "/m/profile/"
    assert not WechatBinding.objects.exists()
    entry = AuditEntry.objects.get(action="wechat.unbind")
    assert entry.actor == member.user and entry.object_id == str(member.user.pk)
    later = in_wechat()
    assert through_wechat(later, wechat, "o-member").url.startswith("/m/activate/")


def test_unbinding_needs_a_signed_in_account(wechat, world):  # noqa: F811
    WechatBinding.objects.create(
        user=world.a.member.user, openid="o-member", bound_at=server_clock.now()
    )
    response = Client().post("/m/wechat/unbind/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert WechatBinding.objects.count() == 1


def test_inside_wechat_activation_may_bind_instead_of_setting_a_password(
    wechat,  # noqa: F811
    newcomer,
    django_capture_on_commit_callbacks,
):
    client = in_wechat()
    through_wechat(client, wechat, "o-newcomer")
    page = client.get("/m/activate/?next=/m/profile/")
    assert "可以不设置密码" not in page.content.decode()  # the phone step first
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/m/activate/", {"phone": newcomer.user.phone, "send": "1"})
    assert "可以不设置密码" in sent.content.decode()
    code = SmsMessage.objects.filter(phone=newcomer.user.phone).get().params["code"]
    done = client.post(
        "/m/activate/",
        {
            "phone": newcomer.user.phone,
            "code": code,
            "id_last6": newcomer.id_number[-6:],
            "next": "/m/profile/",
        },
    )
    assert done.status_code == 302 and done.url == "/m/profile/"
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()
    assert WechatBinding.objects.get(user=newcomer.user).openid == "o-newcomer"
    assert AuditEntry.objects.filter(action="user.activate", actor=newcomer.user).exists()
    assert client.get("/m/profile/").status_code == 200
    # Activated: a second activation is refused, WeChat signs the member in.
    later = in_wechat()
    assert through_wechat(later, wechat, "o-newcomer").url == "/m/profile/"


def test_outside_wechat_activation_still_needs_a_password(
    wechat,  # noqa: F811
    newcomer,
    django_capture_on_commit_callbacks,
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/activate/", {"phone": newcomer.user.phone, "send": "1"})
    code = SmsMessage.objects.filter(phone=newcomer.user.phone).get().params["code"]
    response = client.post(
        "/m/activate/",
        {"phone": newcomer.user.phone, "code": code, "id_last6": newcomer.id_number[-6:]},
    )
    assert response.status_code == 422
    assert not WechatBinding.objects.exists()
    assert "_auth_user_id" not in client.session


def test_an_account_bound_without_a_password_is_already_active(
    wechat,  # noqa: F811
    newcomer,
    django_capture_on_commit_callbacks,
):
    WechatBinding.objects.create(
        user=newcomer.user, openid="o-newcomer", bound_at=server_clock.now()
    )
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/activate/", {"phone": newcomer.user.phone, "send": "1"})
    code = SmsMessage.objects.filter(phone=newcomer.user.phone).get().params["code"]
    response = client.post(
        "/m/activate/",
        {
            "phone": newcomer.user.phone,
            "code": code,
            "id_last6": newcomer.id_number[-6:],
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422 and "该账号已激活" in response.content.decode()
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()


def test_a_wechat_sign_in_gives_the_session_a_new_key(wechat, world):  # noqa: F811
    WechatBinding.objects.create(
        user=world.a.member.user, openid="o-member", bound_at=server_clock.now()
    )
    client = in_wechat()
    # A session the visitor came with (one an attacker may have planted, too).
    planted = client.session
    planted["seen"] = True
    planted.save()
    before = client.cookies["sessionid"].value
    signed = through_wechat(client, wechat, "o-member", page="/m/")
    assert signed.status_code == 302 and signed.url == "/m/"
    assert client.cookies["sessionid"].value != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(world.a.member.user.pk)
    assert client.session["seen"] is True


def test_the_state_is_a_signed_cookie_for_the_callback_only_used_once(wechat, world):  # noqa: F811
    WechatBinding.objects.create(
        user=world.a.member.user, openid="o-member", bound_at=server_clock.now()
    )
    client = in_wechat()
    to_wechat = client.get("/m/wechat/?next=/m/")
    state = parse_qs(urlparse(to_wechat.url).query)["state"][0]
    cookie = client.cookies["wechat_state"]
    assert cookie["path"] == "/m/wechat/callback/" and cookie["httponly"]
    assert cookie["samesite"] == "Lax" and cookie["max-age"] == 600
    # Not a session written for it: a visitor who is not signed in has none yet.
    assert "sessionid" not in client.cookies and not Session.objects.exists()
    code = wechat.code_for("o-member")
    assert client.get("/m/wechat/callback/", {"code": code, "state": state}).url == "/m/"
    # Used: the same answer again is refused, as is a state from another browser.
    assert client.cookies["wechat_state"].value == ""
    again = client.get("/m/wechat/callback/", {"code": code, "state": state})
    assert again.status_code == 400
    other = in_wechat()
    other.cookies["wechat_state"] = cookie.value + "x"
    forged = other.get("/m/wechat/callback/", {"code": wechat.code_for("o-member"), "state": state})
    assert forged.status_code == 400 and "_auth_user_id" not in other.session


def test_taking_the_account_back_ends_a_wechat_sign_in(wechat, world):  # noqa: F811
    member = world.a.member
    WechatBinding.objects.create(user=member.user, openid="o-member", bound_at=server_clock.now())
    client = in_wechat()
    assert through_wechat(client, wechat, "o-member").url == "/m/profile/"
    assert client.get("/m/profile/").status_code == 200
    accounts.revoke_all_credentials(user=member.user, reason="sign_out_everywhere")
    response = client.get("/m/profile/")
    assert response.status_code == 302 and response.url.startswith("/m/wechat/")


def test_a_wechat_sign_in_is_no_password_attempt_for_axes(wechat, world):  # noqa: F811
    member = world.a.member
    WechatBinding.objects.create(user=member.user, openid="o-member", bound_at=server_clock.now())
    Client().post("/login/", {"phone": member.user.phone, "password": "wrong-guess"})
    failures = list(AccessAttempt.objects.values_list("username", "failures_since_start"))
    assert failures == [(member.user.phone, 1)]
    client = in_wechat()
    assert through_wechat(client, wechat, "o-member").url == "/m/profile/"
    # The failure counted against the phone stays until its cool-off; no access log row.
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == failures
    assert not AccessLog.objects.exists()


def test_a_sign_in_without_a_session_writes_its_session_once(wechat, world):  # noqa: F811
    WechatBinding.objects.create(
        user=world.a.member.user, openid="o-member", bound_at=server_clock.now()
    )
    client = in_wechat()
    to_wechat = client.get("/m/wechat/?next=/m/")
    state = parse_qs(urlparse(to_wechat.url).query)["state"][0]
    code = wechat.code_for("o-member")
    with CaptureQueriesContext(connection) as queries:
        signed = client.get("/m/wechat/callback/", {"code": code, "state": state})
    assert signed.status_code == 302 and signed.url == "/m/"
    transaction = {"BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"}
    statements = [q["sql"].split(" ", 1)[0] for q in queries]
    statements = [s for s in statements if s not in transaction]
    sessions = [q["sql"] for q in queries if "django_session" in q["sql"]]
    # The row, once: no question whether its key is free (the INSERT answers it), no second
    # write, no row deleted, nothing of axes, no last_login.
    assert [s.split(" ", 1)[0] for s in sessions] == ["INSERT"]
    assert not [q for q in queries if "axes_" in q["sql"]]
    assert statements == ["SELECT", "INSERT"]  # the account, the session
    assert client.session["_auth_user_id"] == str(world.a.member.user.pk)


def test_a_session_key_that_names_no_session_is_not_kept(wechat, world):  # noqa: F811
    WechatBinding.objects.create(
        user=world.a.member.user, openid="o-member", bound_at=server_clock.now()
    )
    client = in_wechat()
    client.cookies["sessionid"] = "planted0000000000000000000000000"
    through_wechat(client, wechat, "o-member", page="/m/")
    assert client.cookies["sessionid"].value != "planted0000000000000000000000000"
    assert not Session.objects.filter(session_key="planted0000000000000000000000000").exists()
    assert client.session["_auth_user_id"] == str(world.a.member.user.pk)


def test_a_wechat_sign_in_leaves_last_login_and_a_password_sign_in_records_it(
    wechat,  # noqa: F811
    world,
):
    user = world.a.member.user
    WechatBinding.objects.create(user=user, openid="o-member", bound_at=server_clock.now())
    assert through_wechat(in_wechat(), wechat, "o-member").url == "/m/profile/"
    user.refresh_from_db()
    assert user.last_login is None
    signed = Client().post("/login/", {"phone": user.phone, "password": PASSWORD})
    assert signed.status_code == 302
    user.refresh_from_db()
    assert user.last_login == server_clock.now()
    outsider = world.outsider
    Client().post("/login/", {"phone": outsider.phone, "password": "wrong-guess"})
    outsider.refresh_from_db()
    assert outsider.last_login is None
