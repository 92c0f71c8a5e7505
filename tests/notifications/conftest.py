import pytest

from dangjian.notifications import channels

from .wechat_standin import APP_ID, SECRET, TEMPLATES, WechatStandIn


@pytest.fixture
def stand_in(settings):
    """The `wechat` channel on, its templates set, WeChat's API a local stand-in."""
    with WechatStandIn(APP_ID, SECRET) as server:
        settings.WECHAT_APP_ID = APP_ID
        settings.WECHAT_APP_SECRET = SECRET
        settings.WECHAT_API_BASE_URL = server.url + "/"
        settings.WECHAT_TEMPLATES = TEMPLATES
        settings.NOTIFICATION_CHANNELS = ["wechat"]
        channels.get.cache_clear()
        yield server
    channels.get.cache_clear()
