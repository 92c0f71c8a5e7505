"""WeChat: the official account's web authorization (OAuth2 `snsapi_base`: a visitor's
openid), its access token and JS-SDK ticket, and the binding of an account to an openid.

WeChat is reached through wechatpy (`WeChatOAuth`, `WeChatClient`, `WeChatJSAPI`) with the
base URLs from settings (`WECHAT_API_BASE_URL`, `WECHAT_OPEN_BASE_URL`), set on the
documented `API_BASE_URL`/`OAUTH_BASE_URL` attributes: tests and the demo talk to a local
stand-in, production to WeChat, through the same code.

The access token and the jsapi_ticket live in Django's cache (shared by every worker) with
the time WeChat gave them (`expires_in`, 7200 s), and are fetched again REFRESH_BEFORE
their end, as WeChat asks (its API refuses more than a few thousand fetches a day). Time
comes from `core.clock`.

Binding: `bind` once the account is proven (activation by SMS code), `account_for_openid`
at each sign-in in WeChat, `unbind` by the member or an admin in scope (audited)."""

import functools
import os
import secrets
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import certifi
import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.client.api import WeChatJSAPI
from wechatpy.exceptions import WeChatClientException, WeChatException

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.db import hot_connection
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry import accounts
from dangjian.registry.account_rows import read_account, select_account
from dangjian.registry.models import Member, User, WechatBinding

REFRESH_BEFORE = timedelta(minutes=5)
# Seconds one worker may take fetching a new token or ticket before another may try.
REFRESH_LOCK = 30
TIMEOUT_SECONDS = 10


def enabled() -> bool:
    return bool(settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET)


def _unavailable() -> DomainError:
    return DomainError("wechat_unavailable", _("微信服务暂时不可用，请稍后再试。"))


# Web authorization ---------------------------------------------------------------------------


class _OAuth(WeChatOAuth):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # wechatpy builds its URLs from these attributes (documented, class-level defaults
        # https://api.weixin.qq.com/ and https://open.weixin.qq.com/connect/).
        self.API_BASE_URL = settings.WECHAT_API_BASE_URL.rstrip("/") + "/"
        self.OAUTH_BASE_URL = settings.WECHAT_OPEN_BASE_URL.rstrip("/") + "/connect/"


def authorize_url(*, redirect_uri: str, state: str) -> str:
    """Where to send a visitor inside WeChat: WeChat answers at `redirect_uri` with a `code`
    (snsapi_base: silent, the openid only) and `state` unchanged."""
    return _OAuth(
        settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET, redirect_uri, "snsapi_base", state
    ).authorize_url


@functools.lru_cache(maxsize=4)
def _http(base_url: str) -> urllib3.PoolManager:
    """One connection pool per process and WeChat host, for the sign-in's code exchange:
    its connection to WeChat is kept alive between sign-ins (in production each new one is
    a TCP and TLS handshake to api.weixin.qq.com). urllib3 directly, the library requests
    is built on: requests' sessions, hooks, cookie jar and redirect handling cost a sign-in
    about 0.4 ms of CPU more and serve nothing in one GET. The proxy for WeChat's host
    (HTTPS_PROXY, NO_PROXY... as the standard library reads them) and the CA bundle
    (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's, as requests does) are looked up
    once, here. Made on first use, so in each gunicorn worker after the fork; a sync worker
    serves one request at a time. No retries and no redirects: WeChat answers the exchange
    itself, and a code is good once."""
    bundle = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )
    options = {
        "retries": False,
        "timeout": urllib3.Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS),
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": bundle,
        "maxsize": 1,
    }
    url = urllib3.util.parse_url(base_url)
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(url.host or ""):
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


def openid_for_code(code: str) -> str:
    """Exchange the `code` WeChat gave the callback for the visitor's openid (WeChat's
    `sns/oauth2/access_token`, as its web authorization documents it; the same request as
    wechatpy's `WeChatOAuth.fetch_access_token`, on the process's kept-alive pool)."""
    base_url = settings.WECHAT_API_BASE_URL.rstrip("/") + "/"
    query = urlencode(
        {
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
            "code": code,
            "grant_type": "authorization_code",
        }
    )
    try:
        response = _http(base_url).request("GET", f"{base_url}sns/oauth2/access_token?{query}")
        if response.status != 200:
            raise _unavailable()
        result = response.json()
    except (urllib3.exceptions.HTTPError, ValueError) as exc:
        raise _unavailable() from exc
    # WeChat answers a refused code with 200 and an errcode.
    if not isinstance(result, dict) or result.get("errcode"):
        raise _unavailable()
    openid = result.get("openid")
    if not isinstance(openid, str) or not openid or len(openid) > 64:
        raise _unavailable()
    return openid


# The access token and the JS-SDK ticket ------------------------------------------------------


class _Client(WeChatClient):
    def __init__(self):
        super().__init__(
            settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET, timeout=TIMEOUT_SECONDS
        )
        # wechatpy's documented way to reach another host: the class's API_BASE_URL.
        self.API_BASE_URL = settings.WECHAT_API_BASE_URL.rstrip("/") + "/cgi-bin/"

    def fetch_access_token(self):
        # wechatpy's own names https://api.weixin.qq.com/cgi-bin/token literally and waits for
        # it without a timeout (a WeChat that stops answering would hold the worker): fetched
        # here as WeChat documents it. Also called by wechatpy when WeChat says the token is
        # no longer valid: the cache follows.
        response = requests.get(
            self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=TIMEOUT_SECONDS,
        )
        try:
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(None, None, client=self, response=response) from exc
        if result.get("errcode"):
            raise WeChatClientException(
                result["errcode"], result.get("errmsg"), client=self, response=response
            )
        _store(_token_key(), result["access_token"], int(result.get("expires_in", 7200)))
        return result

    def _request(self, method, url_or_endpoint, **kwargs):
        # The token from the shared cache (wechatpy would keep one per client object).
        params = kwargs.setdefault("params", {})
        if isinstance(params, dict) and "access_token" not in params:
            params["access_token"] = access_token()
        return super()._request(method, url_or_endpoint, **kwargs)


def _cached(key: str, fetch) -> str:
    """The value cached under `key`, fetched again (`fetch()` → (value, expires_in)) when
    missing or within REFRESH_BEFORE of its end."""
    now = clock.now().timestamp()
    entry = cache.get(key)
    if entry and now < entry["expires_at"] - REFRESH_BEFORE.total_seconds():
        return entry["value"]
    lock = f"{key}:refreshing"
    if entry and now < entry["expires_at"] and not cache.add(lock, 1, timeout=REFRESH_LOCK):
        # Another worker is fetching the next one (each fetch ends the one before it
        # within minutes, and WeChat counts them): this one is still good meanwhile.
        return entry["value"]
    try:
        value, expires_in = fetch()
        _store(key, value, expires_in)
    finally:
        cache.delete(lock)
    return value


def _store(key: str, value: str, expires_in: int) -> None:
    expires_at = clock.now().timestamp() + expires_in
    cache.set(key, {"value": value, "expires_at": expires_at}, timeout=expires_in)


def _token_key() -> str:
    return f"wechat:access_token:{settings.WECHAT_APP_ID}"


def _fetch_token() -> tuple[str, int]:
    try:
        result = _Client().fetch_access_token()
    except (WeChatException, OSError, ValueError, KeyError) as exc:
        raise _unavailable() from exc
    return result["access_token"], int(result.get("expires_in", 7200))


def access_token() -> str:
    """The official account's access token (cached, shared by every worker)."""
    return _cached(_token_key(), _fetch_token)


def client() -> WeChatClient:
    """A wechatpy client whose access token is `access_token()` (for template messages
    and the like)."""
    return _Client()


def _fetch_ticket() -> tuple[str, int]:
    try:
        result = client().jsapi.get_ticket("jsapi")
    except (WeChatException, OSError, ValueError, KeyError) as exc:
        raise _unavailable() from exc
    return result["ticket"], int(result.get("expires_in", 7200))


def jsapi_ticket() -> str:
    """The JS-SDK ticket (cached like the access token)."""
    return _cached(f"wechat:jsapi_ticket:{settings.WECHAT_APP_ID}", _fetch_ticket)


def jsapi_signature(*, noncestr: str, ticket: str, timestamp: int, url: str) -> str:
    """WeChat's signature of a page for `wx.config` (sha1 over the sorted fields)."""
    return WeChatJSAPI().get_jsapi_signature(noncestr, ticket, timestamp, url)


def js_config(url: str) -> dict:
    """What `wx.config` needs for the page at `url` (without its `#` part)."""
    noncestr = secrets.token_urlsafe(12)
    timestamp = int(clock.now().timestamp())
    url = url.split("#", 1)[0]
    return {
        "appId": settings.WECHAT_APP_ID,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": jsapi_signature(
            noncestr=noncestr, ticket=jsapi_ticket(), timestamp=timestamp, url=url
        ),
    }


# Binding ------------------------------------------------------------------------------------


def account_for_openid(openid: str) -> User | None:
    """The active account bound to this openid, if any, which `login()` then uses as it
    is. Literal SQL on the hot connection (core.db.hot_connection: prepared, planned once
    per connection), as `services.holder_of` reads an API key's holder: every sign-in
    inside WeChat runs it, and composing the same join with the ORM cost each about 0.6 ms
    of CPU, more than the statement. tests/registry/test_wechat_binding.py checks it
    against the ORM's answer."""
    return read_account(hot_connection(), _ACCOUNT_FOR_OPENID, [openid])


_ACCOUNT_FOR_OPENID = select_account(
    "FROM registry_wechatbinding b JOIN registry_user u ON u.id = b.user_id"
    " WHERE b.openid = %s AND u.is_active"
)


def bind(*, user: User, openid: str) -> WechatBinding:
    """Bind the account (just proven by an SMS code) to the openid WeChat gave this
    visitor. An openid bound to another account already is refused; the account's earlier
    openid, if any, is replaced."""
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            other = WechatBinding.objects.filter(openid=openid).exclude(user=user).exists()
            if other:
                raise DomainError(
                    "wechat_bound_elsewhere", _("该微信已绑定其他账号，请先在该账号中解除绑定。")
                )
            before = WechatBinding.objects.filter(user=user).first()
            if before is not None and before.openid == openid:
                return before
            if before is not None:
                before.delete()
            binding = WechatBinding.objects.create(user=user, openid=openid, bound_at=clock.now())
            audit.record(actor=user, action="wechat.bind", obj=user, org=accounts.account_org(user))
            return binding
    except IntegrityError as exc:
        # Another request bound the same openid at the same moment.
        raise DomainError(
            "wechat_bound_elsewhere", _("该微信已绑定其他账号，请先在该账号中解除绑定。")
        ) from exc


def is_bound(user: User) -> bool:
    return WechatBinding.objects.filter(user=user).exists()


@transaction.atomic
def unbind_own(*, user: User) -> None:
    """The member unbinds their own account from WeChat: WeChat no longer signs it in."""
    deleted, _n = WechatBinding.objects.filter(user=user).delete()
    if not deleted:
        raise DomainError("not_bound", _("该账号未绑定微信。"))
    audit.record(actor=user, action="wechat.unbind", obj=user, org=accounts.account_org(user))


@transaction.atomic
def unbind_member(*, actor: User, member: Member) -> None:
    """An admin in scope unbinds a member's account (the phone changed hands): WeChat no
    longer signs it in, and every sign-in it made ends."""
    permissions.require(actor, Action.CHANGE, member)
    if not permissions.is_admin_over_account(actor, member.user):
        raise DomainError(
            "forbidden", _("该账号拥有超出您管理范围的管理权限，您不能解除其微信绑定")
        )
    deleted, _n = WechatBinding.objects.filter(user=member.user).delete()
    if not deleted:
        raise DomainError("not_bound", _("该账号未绑定微信。"))
    audit.record(actor=actor, action="wechat.unbind", obj=member.user, org=member.branch)
    accounts.revoke_all_credentials(user=member.user, actor=actor, reason="wechat.unbind")
