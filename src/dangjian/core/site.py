"""The site's public address (`SITE_URL`): what check-in posters, the rotating QR,
invitation texts and outbound notifications carry. Every absolute address the platform
hands out is made here, so that one setting decides them all; `manage.py check --deploy`
refuses a production address that no phone could reach (`dangjian.E001`), and the back
office warns an admin whose browser is on another host (console's site-address banner)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# settings.py's default: what SITE_URL is when the environment does not set it.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}  # noqa: S104 (hosts, not a bind)
DOCS = "docs/operations.md#settings-reference"


def site_url() -> str:
    """The configured address, without a trailing `/`."""
    return settings.SITE_URL.rstrip("/")


def absolute_url(path: str) -> str:
    """`path` (`/m/checkin/…/`) under the configured address; an address that is absolute
    already is returned as it is."""
    if not path.startswith("/"):
        return path
    return site_url() + path


def site_host() -> str:
    """The host (and port, when not the scheme's own) the configured address names."""
    return urlsplit(site_url()).netloc.lower()


def is_other_host(request_host: str) -> bool:
    """Whether a browser on `request_host` (`request.get_host()`) is on another host than
    the posters name."""
    return request_host.lower() != site_host()


def address_problem() -> str | None:
    """Why the configured address is unfit for production, or None."""
    url = site_url()
    parts = urlsplit(url)
    if not url or url == DEFAULT_SITE_URL:
        return "unset"
    if (parts.hostname or "") in LOCAL_HOSTS:
        return "local"
    if parts.scheme != "https":
        return "not_https"
    return None


PROBLEMS = {
    "unset": "SITE_URL is not set (it is left at the default {default}).",
    "local": "SITE_URL names this machine ({url}), which no phone can reach.",
    "not_https": "SITE_URL is not an https:// address ({url}).",
}


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, the posters and links must carry the public https:// address."""
    if settings.DEBUG:
        return []
    problem = address_problem()
    if problem is None:
        return []
    return [
        checks.Error(
            PROBLEMS[problem].format(default=DEFAULT_SITE_URL, url=site_url())
            + " Check-in posters, the rotating QR, invitations and notification links carry it.",
            hint=(
                "设置 SITE_URL 为本平台对外的 https:// 地址，例如 "
                "SITE_URL=https://dangjian.example.gov.cn，否则打印的签到海报和通知链接"
                "会指向错误的服务器。Set SITE_URL to the platform's public https:// address "
                f"({DOCS})."
            ),
            id="dangjian.E001",
        )
    ]
