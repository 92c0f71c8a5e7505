"""Screenshots of a running demo for the README: the city admin's dashboard on a desktop
(1280 wide) and a member's phone home (390 wide), taken with Playwright and Debian's
chromium (the flags of tests/browser/conftest.py; never a downloaded browser).

    make demo                                        # in another terminal
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000

Serve the demo at the address its posters name (SITE_URL, default http://127.0.0.1:8000),
or the back office shows its warning about the site address in the picture.

Writes docs/screenshot-dashboard.png and docs/screenshot-phone.png (or into --out). The
demo's logins and password are those `manage.py seed` prints (README, "The demo")."""

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "Dangjian@2026"
CITY_ADMIN = "13900000001"
MEMBER = "13900000004"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def log_in(page, base: str, phone: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def settle(page) -> None:
    """Wait for the page's requests and for the charts' animation to end."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)


def last_month(today: date | None = None) -> str:
    """The last finished month's label (YYYY-MM): a whole month, every theme day held."""
    first = (today or datetime.now(SHANGHAI).date()).replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def dashboard(browser, base: str, out: Path, period: str) -> Path:
    """The city admin's dashboard of the whole city (the back office's 数据看板) for
    `period`, the whole page: the figures, the counties, the scores, the year's trend."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESKTOP, device_scale_factor=1
    )
    page = context.new_page()
    log_in(page, base, CITY_ADMIN)
    page.goto(base + "/console/dashboards/")
    page.wait_for_url("**/console/dashboards/orgs/*/**")
    page.goto(page.url.split("?")[0] + "?period=" + period)
    settle(page)
    path = out / "screenshot-dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    context.close()
    return path


def phone_home(browser, base: str, out: Path, _period: str) -> Path:
    """A member's home on the phone pages (/m/)."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    log_in(page, base, MEMBER)
    page.goto(base + "/m/")
    settle(page)
    path = out / "screenshot-phone.png"
    page.screenshot(path=str(path), full_page=False)
    context.close()
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the running demo, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write")
    parser.add_argument(
        "--period",
        default=last_month(),
        help="the dashboard's period (default the last finished month, %(default)s)",
    )
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: make browser installs it", file=sys.stderr)
        return 1
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for take in (dashboard, phone_home):
                print(take(browser, base, args.out, args.period))
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
